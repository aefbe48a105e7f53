namespace OsKill;

/// <summary>What <see cref="ProcessHandle.StopAsync"/> did.</summary>
public sealed record StopResult
{
    /// <summary>True when the process has exited.</summary>
    public required bool Exited { get; init; }

    /// <summary>True when it had exited before the first step, so nothing was sent.</summary>
    public bool AlreadyExited { get; init; }

    /// <summary>The index of the step after which the process was found exited; null when nothing was sent.</summary>
    public int? StepIndex { get; init; }

    /// <summary>The signal of that step.</summary>
    public int? Signal { get; init; }

    /// <summary>The time from the start of the stop until the exit was seen (or until the last step gave up).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>How the process ended, where that can be known (see <see cref="ProcessHandle.ExitStatus"/>).</summary>
    public ExitStatus? ExitStatus { get; init; }
}
