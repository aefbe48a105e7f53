using System.Globalization;

namespace OsKill;

/// <summary>What <see cref="ProcessContainer.StopAsync"/> did. Immutable; made only by the library.</summary>
public sealed class ContainerStopResult
{
    private readonly StopEnding _ending;

    private ContainerStopResult(StopEnding ending, ContainerKillMode killMode, IReadOnlyList<ContainerMemberResult> members, ExitStatus? mainExitStatus)
    {
        _ending = ending;
        KillMode = killMode;
        Members = members;
        MainExitStatus = mainExitStatus;
    }

    /// <summary>
    /// How the stop ended: the container was already empty (nothing sent), every member had exited
    /// after a step, or members were still running when the steps ran out.
    /// </summary>
    public StopOutcome Outcome => _ending.Outcome;

    /// <summary>True when the container is empty: <see cref="Outcome"/> is not <see cref="StopOutcome.StillRunning"/>.</summary>
    public bool Exited => Outcome != StopOutcome.StillRunning;

    /// <summary>The index of the step after which the container was empty; set only when <see cref="Outcome"/> is <see cref="StopOutcome.ExitedAtStep"/>.</summary>
    public int? StepIndex => _ending.StepIndex;

    /// <summary>That step; set only when <see cref="Outcome"/> is <see cref="StopOutcome.ExitedAtStep"/>.</summary>
    public StopStep? Step => _ending.Step;

    /// <summary>The time from the start of the stop until the container was seen empty (or until the last step gave up).</summary>
    public TimeSpan Elapsed => _ending.Elapsed;

    /// <summary>Which members the steps reached.</summary>
    public ContainerKillMode KillMode { get; }

    /// <summary>Every member the stop saw (in the container when a step was sent, or forked while it was), with the step that ended each one, in the order they were first seen.</summary>
    public IReadOnlyList<ContainerMemberResult> Members { get; }

    /// <summary>How the main process ended, where that can be known: null when the container has no main process, or it is still running.</summary>
    public ExitStatus? MainExitStatus { get; }

    /// <summary>Describes the result: "exited after step 0 (SIGTERM, then wait 5000 ms) in 12.3 ms; control-group; 3 members: 2 after step 0, 1 after step 1".</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        string mode = KillMode == ContainerKillMode.Mixed ? "mixed" : "control-group";
        string counts = string.Join(
            ", ",
            Members.GroupBy(m => m.StepIndex).OrderBy(g => g.Key ?? int.MaxValue).Select(g => g.Key is int i
                ? string.Create(CultureInfo.InvariantCulture, $"{g.Count()} after step {i}")
                : string.Create(CultureInfo.InvariantCulture, $"{g.Count()} still running")));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{_ending}; {mode}; {Members.Count} member{(Members.Count == 1 ? string.Empty : "s")}{(counts.Length == 0 ? string.Empty : ": " + counts)}");
    }

    /// <summary>The result of a stop after which the container was empty: after step <paramref name="step"/>, or, when it is null, before the first step.</summary>
    internal static ContainerStopResult EndedAfter(int? step, StopOptions options, TimeSpan elapsed, ContainerKillMode killMode, IReadOnlyList<ContainerMemberResult> members, ExitStatus? mainExitStatus) =>
        new(StopEnding.After(step, options, elapsed), killMode, members, mainExitStatus);

    /// <summary>The result of a stop whose steps ran out with members still in the container.</summary>
    internal static ContainerStopResult NotEnded(TimeSpan elapsed, ContainerKillMode killMode, IReadOnlyList<ContainerMemberResult> members, ExitStatus? mainExitStatus) =>
        new(StopEnding.StillRunning(elapsed), killMode, members, mainExitStatus);
}
