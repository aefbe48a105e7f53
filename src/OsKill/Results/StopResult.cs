namespace OsKill;

/// <summary>What <see cref="ProcessHandle.StopAsync"/> did. Immutable; made only by the library.</summary>
public sealed class StopResult
{
    private readonly StopEnding _ending;

    private StopResult(StopEnding ending, ExitStatus? exitStatus)
    {
        _ending = ending;
        ExitStatus = exitStatus;
    }

    /// <summary>How the stop ended: the process had already exited, exited after a step, or is still running.</summary>
    public StopOutcome Outcome => _ending.Outcome;

    /// <summary>True when the process has exited: <see cref="Outcome"/> is not <see cref="StopOutcome.StillRunning"/>.</summary>
    public bool Exited => Outcome != StopOutcome.StillRunning;

    /// <summary>The index of the step after which the process was found exited; set only when <see cref="Outcome"/> is <see cref="StopOutcome.ExitedAtStep"/>.</summary>
    public int? StepIndex => _ending.StepIndex;

    /// <summary>That step (its signal, or on Windows its exit code); set only when <see cref="Outcome"/> is <see cref="StopOutcome.ExitedAtStep"/>.</summary>
    public StopStep? Step => _ending.Step;

    /// <summary>The time from the start of the stop until the exit was seen (or until the last step gave up).</summary>
    public TimeSpan Elapsed => _ending.Elapsed;

    /// <summary>How the process ended, where that can be known (see <see cref="ProcessHandle.ExitStatus"/>).</summary>
    public ExitStatus? ExitStatus { get; }

    /// <summary>Describes the result: "exited after step 0 (SIGTERM, then wait 5000 ms) in 12.3 ms".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => _ending.ToString();

    /// <summary>The result of a stop that saw the process exit after step <paramref name="step"/>, or, when it is null, found it exited before the first step.</summary>
    internal static StopResult EndedAfter(int? step, StopOptions options, TimeSpan elapsed, ExitStatus? exitStatus) =>
        new(StopEnding.After(step, options, elapsed), exitStatus);

    /// <summary>The result of a stop whose steps ran out with the process still running.</summary>
    internal static StopResult NotEnded(TimeSpan elapsed) => new(StopEnding.StillRunning(elapsed), null);
}
