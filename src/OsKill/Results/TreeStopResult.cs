using System.Globalization;

namespace OsKill;

/// <summary>
/// What a tree stop did: <see cref="ProcessHandle.StopTreeAsync"/>, <see cref="ProcessTree.StopAsync(int, StopOptions?, CancellationToken)"/>
/// or <see cref="ProcessExtensions.StopTreeAsync"/>. Immutable; made only by the library.
/// </summary>
public sealed class TreeStopResult
{
    private readonly StopEnding _ending;

    private TreeStopResult(StopEnding ending, int memberCount, int killedCount, int rounds, IReadOnlyList<int>? notFrozenPids, ExitStatus? exitStatus)
    {
        _ending = ending;
        MemberCount = memberCount;
        KilledCount = killedCount;
        Rounds = rounds;
        NotFrozenPids = notFrozenPids ?? [];
        ExitStatus = exitStatus;
    }

    /// <summary>
    /// How the stop ended: the root had exited with no member left before the first step, every
    /// member had exited after a step, or members were still running when the steps ran out.
    /// </summary>
    public StopOutcome Outcome => _ending.Outcome;

    /// <summary>True when every member of the tree that was found has exited: <see cref="Outcome"/> is not <see cref="StopOutcome.StillRunning"/>.</summary>
    public bool Exited => Outcome != StopOutcome.StillRunning;

    /// <summary>The index of the step after which every member had exited; set only when <see cref="Outcome"/> is <see cref="StopOutcome.ExitedAtStep"/>.</summary>
    public int? StepIndex => _ending.StepIndex;

    /// <summary>That step (its signal or console event, or on Windows its exit code); set only when <see cref="Outcome"/> is <see cref="StopOutcome.ExitedAtStep"/>.</summary>
    public StopStep? Step => _ending.Step;

    /// <summary>The time from the start of the stop until the last member's exit was seen (or until the last step gave up).</summary>
    public TimeSpan Elapsed => _ending.Elapsed;

    /// <summary>How many processes were found in the tree over all steps, the root included.</summary>
    public int MemberCount { get; }

    /// <summary>How many distinct members were still running when a forced step (SIGKILL; TerminateProcess on Windows) reached them: 0 when the polite steps were enough. A member that two forced steps reached counts once.</summary>
    public int KilledCount { get; }

    /// <summary>
    /// The members that did not stop for a freeze within its limit (in uninterruptible sleep, or
    /// traced), by pid: the stop went on with its steps all the same, its last step included, but a
    /// child that such a member forked after the last walk may have been missed. Empty when every
    /// freeze was complete.
    /// </summary>
    public IReadOnlyList<int> NotFrozenPids { get; }

    /// <summary>How many walk rounds all the freezes took together (see <see cref="TreeKillResult.Rounds"/>).</summary>
    public int Rounds { get; }

    /// <summary>How the root ended, where that can be known (see <see cref="ProcessHandle.ExitStatus"/>).</summary>
    public ExitStatus? ExitStatus { get; }

    /// <summary>Describes the result: "exited after step 0 (SIGTERM, then wait 5000 ms) in 12.3 ms; 4 members, 0 killed, 3 rounds".</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        string text = _ending.ToString() +
            string.Create(CultureInfo.InvariantCulture, $"; {MemberCount} member{(MemberCount == 1 ? string.Empty : "s")}, {KilledCount} killed, {Rounds} round{(Rounds == 1 ? string.Empty : "s")}");
        return NotFrozenPids.Count == 0 ? text : $"{text}; not frozen: {string.Join(", ", NotFrozenPids)}";
    }

    /// <summary>
    /// The result of a stop that saw every member exit after step <paramref name="step"/>, or, when
    /// it is null, found nothing alive to send the first step to.
    /// </summary>
    internal static TreeStopResult EndedAfter(int? step, StopOptions options, TimeSpan elapsed, int members, int killed, int rounds, IReadOnlyList<int>? notFrozenPids = null) =>
        new(StopEnding.After(step, options, elapsed), members, killed, rounds, notFrozenPids, null);

    /// <summary>The result of a stop whose steps ran out with members still running.</summary>
    internal static TreeStopResult NotEnded(TimeSpan elapsed, int members, int killed, int rounds, IReadOnlyList<int>? notFrozenPids = null) =>
        new(StopEnding.StillRunning(elapsed), members, killed, rounds, notFrozenPids, null);

    /// <summary>This result, with how the root ended.</summary>
    internal TreeStopResult WithExitStatus(ExitStatus? exitStatus) =>
        new(_ending, MemberCount, KilledCount, Rounds, NotFrozenPids, exitStatus);
}
