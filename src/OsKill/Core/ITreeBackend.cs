namespace OsKill.Core;

/// <summary>
/// What <see cref="TreeSkeleton{TMember}"/> needs from a platform to walk, freeze, signal and wait
/// for a process tree. Every call names members by their handles, never by pid alone, so nothing
/// reaches a process that reused a member's pid. Errors other than "the member is gone" are thrown
/// as <see cref="OsException"/> naming the pid: a walk that cannot read must fail, never take a
/// member it could not read for one without children.
/// </summary>
/// <typeparam name="TMember">The platform's member type.</typeparam>
internal interface ITreeBackend<TMember>
    where TMember : TreeMember
{
    /// <summary>The signal (on Windows, the exit code) of a kill.</summary>
    int KillSignal { get; }

    /// <summary>The kill in messages: "SIGKILL".</summary>
    string KillName { get; }

    /// <summary>The freeze in messages: "SIGSTOP".</summary>
    string FreezeName { get; }

    /// <summary>The native call that sends, for messages ("pidfd_send_signal").</summary>
    string SendOperation { get; }

    /// <summary>How long the members of one freeze may take to become quiet.</summary>
    TimeSpan StopLimit { get; }

    /// <summary>How long the freeze spins (yielding the CPU) before it polls with sleeps.</summary>
    TimeSpan SpinLimit { get; }

    /// <summary>Starts a walk round (for example, a scan of every process where children cannot be listed one by one).</summary>
    void BeginRound();

    /// <summary>
    /// Appends the pids that <paramref name="parent"/> lists as its children. Returns false when
    /// the list cannot be read because the parent is gone.
    /// </summary>
    /// <exception cref="OsException">The list could not be read for another reason (EMFILE, ENOMEM...).</exception>
    bool ListChildren(TMember parent, List<int> into);

    /// <summary>Whether the member still holds its pid (running, stopped, or a zombie not yet reaped).</summary>
    bool HoldsPid(TMember member);

    /// <summary>
    /// Opens a member for <paramref name="pid"/>, just read from a member's children, and checks
    /// through the new handle that its parent is still a live member (<paramref name="liveMember"/>
    /// finds one by pid). Returns null when it is not: gone, reparented away, or a pid reused by a
    /// stranger.
    /// </summary>
    TMember? Admit(int pid, Func<int, TMember?> liveMember);

    /// <summary>
    /// Freezes the member (after raising whatever audit event the freeze has), noting whether it
    /// was running (<see cref="TreeMember.StoppedByUs"/>), exited or gone.
    /// </summary>
    /// <exception cref="OsException">The freeze was refused.</exception>
    void Freeze(TMember member);

    /// <summary>
    /// Whether the member can fork no more: frozen, exited, gone, or otherwise unable to run
    /// (<paramref name="thorough"/>: look for the slower cases too). Marks it gone or exited when it is.
    /// </summary>
    bool IsQuiet(TMember member, bool thorough);

    /// <summary>What a member that did not become quiet was doing, for the error: "pid 42 (state D, ...)".</summary>
    string DescribeNotStopped(TMember member);

    /// <summary>Sends <paramref name="sig"/> through the member's handle (its audit event already raised). Returns 0, ESRCH when it is gone, or another errno.</summary>
    int Send(TMember member, int sig);

    /// <summary>Thaws a member we froze, or lets one act on a step's signal; raises its audit event first (a hook may throw). Returns 0, ESRCH when gone, or another errno.</summary>
    int Thaw(TMember member);

    /// <summary>The signal a thaw sends, for messages and audit (SIGCONT).</summary>
    int ThawSignal { get; }

    /// <summary>
    /// Waits until every member in <paramref name="members"/> has exited, or until
    /// <paramref name="deadline"/> (a <see cref="Deadline"/> timestamp). Returns those still running.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    Task<List<TMember>> WaitForExitAsync(List<TMember> members, long deadline, CancellationToken cancellationToken);
}
