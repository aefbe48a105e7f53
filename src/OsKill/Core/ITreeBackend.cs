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

    // What a platform may change in the skeleton's course. The defaults are Linux's.

    /// <summary>
    /// Whether a member keeps its pid, and its children keep naming it as their parent, for as
    /// long as the tree holds it, exited or not (Windows: our handle keeps the pid from being
    /// reused). Then every member is walked, exited ones too, and a known pid is always that member.
    /// </summary>
    bool MembersKeepTheirPids => false;

    /// <summary>
    /// Whether a freeze has taken effect when <see cref="Freeze"/> returns (Windows: NtSuspendProcess).
    /// Then the freeze neither waits for the members to become quiet nor walks a closing round: it
    /// ends with the first round that finds nothing new.
    /// </summary>
    bool FreezesAtOnce => false;

    /// <summary>
    /// Whether members can be frozen at all. When they cannot (Windows without NtSuspendProcess), a
    /// freeze walks at most <see cref="TreeSkeleton{TMember}.UnfrozenRounds"/> rounds, and a kill
    /// walks again after its members have exited until a walk finds nothing new.
    /// </summary>
    bool CanFreeze => true;

    /// <summary>
    /// Whether a kill walks once more after every member it ended has exited, and ends what that
    /// walk finds, until a walk finds nothing new (Windows: a thread inside CreateProcess when its
    /// process was suspended or terminated can still finish creating a child).
    /// </summary>
    bool WalksAfterExit => false;

    /// <summary>Whether <paramref name="sig"/> ends the members (a kill, which nothing thaws afterwards) rather than asks them to stop.</summary>
    bool IsKill(int sig) => sig == KillSignal;

    /// <summary>
    /// Whether <paramref name="sig"/> goes to a group that the members share (Windows: a console
    /// event reaches every process attached to the console) rather than to each member: such a
    /// step walks without freezing and calls <see cref="SendToGroup"/> once.
    /// </summary>
    bool IsGroupSignal(int sig) => false;

    /// <summary>
    /// Sends a group signal (see <see cref="IsGroupSignal"/>) through the first of <paramref name="live"/>
    /// that can receive it, raising its audit event. Returns false when none was alive to receive it.
    /// </summary>
    bool SendToGroup(List<TMember> live, int sig) => throw new NotSupportedException();

    /// <summary>Whether a kill has already ended the member, so that a later kill step raises no audit event for it (and its <see cref="Send"/> sends nothing); Windows: TerminateProcess was called.</summary>
    bool AlreadyEnded(TMember member) => false;

    /// <summary>The order in which a signal is sent to <paramref name="live"/> (Windows: console hosts last).</summary>
    List<TMember> SendOrder(List<TMember> live) => live;

    /// <summary>Whether the member, not yet seen exited, has exited by now; checked each time the live members are listed (Windows). Marks nothing itself.</summary>
    bool HasExited(TMember member) => false;

    /// <summary>
    /// Admits the members that no member lists as a child, after a round has walked every member
    /// (Windows: the orphans of an exited parent that something still holds open). Returns them,
    /// not yet frozen; their own children are walked in the same round.
    /// </summary>
    List<TMember> AdmitUnlisted(Func<int, TMember?> member) => [];

    /// <summary>How many members exited on their own during the walk, when the backend counts them itself (Windows); null: the members seen exited before the kill.</summary>
    int? ExitedDuringWalk => null;

    /// <summary>Called before each step of a stop sends anything, for the step's messages.</summary>
    void BeginStep(int sig)
    {
    }

    /// <summary>The error of a <see cref="Send"/> that returned <paramref name="errno"/> (neither 0 nor ESRCH), its message ending with <paramref name="purpose"/>.</summary>
    Exception SendFailed(TMember member, int sig, int errno, string purpose) =>
        OsException.FromErrno(errno, SendOperation, OsException.Sending(sig, member.Describe()) + purpose, member.Pid, sig);

    /// <summary>What a member still running after the kill's exit limit may be doing, for the error.</summary>
    string NotExitedHint => " (a process in uninterruptible sleep dies when it wakes)";
}
