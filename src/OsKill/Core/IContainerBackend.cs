using System.Diagnostics;

namespace OsKill.Core;

/// <summary>
/// What a <see cref="ProcessContainer"/> is on one platform: a cgroup v2 directory (Linux) or a job
/// object (Windows). <see cref="ProcessContainer"/> keeps the argument checks; the backend does the rest.
/// </summary>
/// <remarks>
/// Disposal: both kill what is left in the container, wait (up to a limit) until it is empty and
/// remove it; the container is disposed whatever happens. When that fails (an audit hook vetoes the
/// kill, a member outlives the limit, a system call fails), what is left is handed over: to the
/// owner watchdog (Linux) or the job's kill-on-close (Windows), or, after a veto, released so that
/// nothing kills what the hook protects. <see cref="IDisposable.Dispose"/> then reports the failure
/// through <see cref="OsKillEventSource"/> and never throws; <see cref="IAsyncDisposable.DisposeAsync"/>
/// throws it.
/// </remarks>
internal interface IContainerBackend : IDisposable, IAsyncDisposable
{
    /// <summary>The cgroup directory; null where the container is not a cgroup.</summary>
    string? CgroupPath { get; }

    /// <summary>Moves process <paramref name="pid"/> (greater than 0) into the container.</summary>
    void Add(int pid);

    /// <summary>Moves a started process into the container, through its handle where the platform takes one.</summary>
    void Add(Process process);

    /// <summary>Starts a process inside the container.</summary>
    Process Start(ProcessStartInfo startInfo);

    /// <summary>The processes in the container now.</summary>
    IReadOnlyList<int> ProcessIds();

    /// <summary>Kills every process in the container and waits until it is empty.</summary>
    Task<TreeKillResult> KillAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="signal"/> to every member now, and returns the pids it reached (empty
    /// when the container was empty). Every member listed is announced (<c>os.kill</c>) before any
    /// is sent anything, so that an audit hook's veto of one sends nothing to any. Nothing outside
    /// the container is reached, even when a member's pid is reused meanwhile. The forced signal
    /// (<see cref="IsKill"/>) is the container's kill (cgroup.kill; TerminateJobObject with the
    /// exit code); on Windows, CTRL_C_EVENT is the polite close that suits each member (Ctrl+C to
    /// console members, WM_CLOSE to the top-level windows of GUI members) and CTRL_BREAK_EVENT a
    /// Ctrl+Break to console members.
    /// </summary>
    IReadOnlyList<int> Signal(int signal, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="signal"/> is this platform's forced end (SIGKILL; on Windows any exit code, which ends the members through TerminateJobObject).</summary>
    bool IsKill(int signal);

    /// <summary>
    /// Completes once the container has no member (cgroup.events "populated 0"; the job's active
    /// process count 0), woken by the kernel's notification, not by a timer; cancelled with
    /// <paramref name="cancellationToken"/>.
    /// </summary>
    Task WaitUntilEmptyAsync(CancellationToken cancellationToken);
}
