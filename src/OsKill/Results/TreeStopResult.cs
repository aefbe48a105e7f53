namespace OsKill;

/// <summary>
/// What a tree stop did: <see cref="ProcessHandle.StopTreeAsync"/>, <see cref="ProcessTree.StopAsync(int, StopOptions?, CancellationToken)"/>
/// or <see cref="ProcessExtensions.StopTreeAsync"/>.
/// </summary>
public sealed record TreeStopResult
{
    /// <summary>True when every member of the tree that was found has exited.</summary>
    public required bool Exited { get; init; }

    /// <summary>True when the root had exited, and no member was left, before the first step: nothing was sent.</summary>
    public bool AlreadyExited { get; init; }

    /// <summary>The index of the step after which every member had exited; null when nothing was sent or the steps ran out.</summary>
    public int? StepIndex { get; init; }

    /// <summary>The signal of that step (on Windows, the console event or exit code).</summary>
    public int? Signal { get; init; }

    /// <summary>The time from the start of the stop until the last member's exit was seen (or until the last step gave up).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>How many processes were found in the tree over all steps, the root included.</summary>
    public int Members { get; init; }

    /// <summary>How many distinct members were still running when a forced step (SIGKILL; TerminateProcess on Windows) reached them: 0 when the polite steps were enough. A member that two forced steps reached counts once.</summary>
    public int Killed { get; init; }

    /// <summary>
    /// The members that did not stop for a freeze within its limit (in uninterruptible sleep, or
    /// traced), by pid: the stop went on with its steps all the same, its last step included, but a
    /// child that such a member forked after the last walk may have been missed. Empty when every
    /// freeze was complete.
    /// </summary>
    public IReadOnlyList<int> NotFrozenPids { get; init; } = [];

    /// <summary>How many walk rounds all the freezes took together (see <see cref="TreeKillResult.Rounds"/>).</summary>
    public int Rounds { get; init; }

    /// <summary>How the root ended, where that can be known (see <see cref="ProcessHandle.ExitStatus"/>).</summary>
    public ExitStatus? ExitStatus { get; init; }

    /// <summary>
    /// The result of a stop that saw every member exit after step <paramref name="step"/>, or, when
    /// it is null, found nothing alive to send the first step to.
    /// </summary>
    internal static TreeStopResult EndedAfter(int? step, StopOptions options, TimeSpan elapsed, int members, int killed, int rounds) => new()
    {
        Exited = true,
        AlreadyExited = step is null,
        StepIndex = step,
        Signal = step is int s ? options.Steps[s].Signal : null,
        Elapsed = elapsed,
        Members = members,
        Killed = killed,
        Rounds = rounds,
    };

    /// <summary>The result of a stop whose steps ran out with members still running.</summary>
    internal static TreeStopResult NotEnded(TimeSpan elapsed, int members, int killed, int rounds) => new()
    {
        Exited = false,
        Elapsed = elapsed,
        Members = members,
        Killed = killed,
        Rounds = rounds,
    };
}
