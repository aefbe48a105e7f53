namespace OsKill;

/// <summary>
/// How a stop ended, in the one shape both <see cref="StopResult"/> and <see cref="TreeStopResult"/>
/// hold: the outcome, and the step (its index and itself) exactly when the outcome names one, so
/// that the two can never contradict each other.
/// </summary>
internal readonly struct StopEnding
{
    private StopEnding(StopOutcome outcome, int? stepIndex, StopStep? step, TimeSpan elapsed)
    {
        Outcome = outcome;
        StepIndex = stepIndex;
        Step = step;
        Elapsed = elapsed;
    }

    internal StopOutcome Outcome { get; }

    internal int? StepIndex { get; }

    internal StopStep? Step { get; }

    internal TimeSpan Elapsed { get; }

    /// <summary>Ended after step <paramref name="step"/> of <paramref name="options"/>; when it is null, before the first step, with nothing sent.</summary>
    internal static StopEnding After(int? step, StopOptions options, TimeSpan elapsed) => step is int s
        ? new StopEnding(StopOutcome.ExitedAtStep, s, options.Steps[s], elapsed)
        : new StopEnding(StopOutcome.AlreadyExited, null, null, elapsed);

    /// <summary>The steps ran out with the target still running.</summary>
    internal static StopEnding StillRunning(TimeSpan elapsed) => new(StopOutcome.StillRunning, null, null, elapsed);

    /// <summary>"exited after step 0 (SIGTERM, then wait 5000 ms) in 12.3 ms".</summary>
    public override string ToString() => Outcome switch
    {
        StopOutcome.AlreadyExited => "had already exited: nothing sent",
        StopOutcome.ExitedAtStep => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"exited after step {StepIndex} ({Step}) in {Elapsed.TotalMilliseconds:0.0} ms"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"still running when the steps ran out, after {Elapsed.TotalMilliseconds:0.0} ms"),
    };
}
