using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill;

/// <summary>
/// Names one process for its whole lifetime, so that a signal sent through it can never reach a
/// process that later got the same pid. On Linux it holds a pidfd; on Windows a process handle.
/// </summary>
/// <remarks>
/// <para>Guarantees: on Linux (5.3+) and Windows the kernel ties the handle to the process itself:
/// once the process has exited, <see cref="Signal"/> throws <see cref="ProcessLookupException"/>,
/// even if its pid now belongs to another process. macOS and FreeBSD have no such object: there the
/// handle is the pid plus the process's start time, read again before each use, which narrows the
/// race to the instant between that check and the kill(2) (see docs/process-handles.md).</para>
/// <para>Unlike <see cref="Os.Kill(int, int)"/>, this API refuses pid 0 and negative pids: an
/// uninitialised pid of 0 would otherwise signal the caller's own process group.</para>
/// <para>Disposing the handle ends every call pending on it (see <see cref="Dispose"/>); after it,
/// every member but <see cref="Pid"/>, <see cref="SafeHandle"/> and <see cref="ToString"/> throws
/// <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed class ProcessHandle : IDisposable
{
    private readonly IProcessHandleCore _core;
    private readonly Process? _process;

    // Cancelled by Dispose, which ends every wait and tree call pending on the handle, so that they
    // let go of the descriptor. Never disposed itself: it owns no timer and no wait handle, and a
    // call that races with Dispose may still link to its token.
    private readonly CancellationTokenSource _disposing = new();
    private int _disposed;

    private ProcessHandle(IProcessHandleCore core, Process? process)
    {
        _core = core;
        _process = process;
    }

    /// <summary>The pid the handle was opened for.</summary>
    public int Pid => _core.Pid;

    /// <summary>A handle over a core made elsewhere: the logic tests' fake processes.</summary>
    internal static ProcessHandle FromCore(IProcessHandleCore core) => new(core, null);

    /// <summary>
    /// The underlying handle: a <see cref="SafePidfdHandle"/> on Linux, a process handle on Windows;
    /// on macOS and FreeBSD a handle that holds the pid and start time and owns no kernel object.
    /// Still readable after <see cref="Dispose"/>, when it is closed.
    /// </summary>
    public SafeHandle SafeHandle => _core.Handle;

    /// <summary>
    /// True while the process runs. A true existence check on every OS: it never sends anything
    /// (no Ctrl+C on Windows), and a zombie that has exited but is not yet reaped counts as exited.
    /// </summary>
    public bool IsAlive => !HasExited();

    /// <summary>
    /// How the process ended, where it can be known: on Linux when we are its parent and it has not
    /// been reaped yet, or when the handle came from a <see cref="Process"/> (which reports death by
    /// signal N as exit code 128 + N); on Windows always. Null while it runs, or where it cannot be known.
    /// </summary>
    public ExitStatus? ExitStatus => IsAlive ? null : ReadExitStatus();

    /// <summary>Opens a handle for the process that has this pid now.</summary>
    /// <param name="pid">The process; must be greater than 0.</param>
    /// <returns>The handle; dispose it when done.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pid"/> is 0 or negative.</exception>
    /// <exception cref="ProcessLookupException">No such process.</exception>
    /// <exception cref="PermissionDeniedException">The process may not be opened.</exception>
    /// <exception cref="OsException">Any other error from opening the handle (pidfd_open on Linux), such as EMFILE or ENFILE when the process (or the system) is out of descriptors; the message names the pid.</exception>
    public static ProcessHandle Open(int pid)
    {
        ProcessGuards.RequireProcessId(pid);
        return new ProcessHandle(PlatformServices.OpenHandle(pid), null);
    }

    /// <summary>
    /// Opens a handle for a <see cref="Process"/>. If the process has already exited, this throws
    /// <see cref="ProcessLookupException"/> rather than return a handle to whatever process has its
    /// pid now; once it exits later, the handle says so (<see cref="IsAlive"/> is false).
    /// </summary>
    /// <param name="process">A started process.</param>
    /// <returns>The handle; dispose it when done. It does not dispose <paramref name="process"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="process"/> is null.</exception>
    /// <exception cref="ProcessLookupException">The process has already exited.</exception>
    /// <exception cref="OsException">Any other error from opening the handle, as for <see cref="Open"/>, such as EMFILE or ENFILE when the process (or the system) is out of descriptors; the message names the pid.</exception>
    public static ProcessHandle FromProcess(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        int pid = process.Id;
        ProcessGuards.RequireProcessId(pid);
        IProcessHandleCore core = PlatformServices.OpenHandle(pid);

        // The pid named our process when we opened it only if the process had not exited by then:
        // check after the open. If it had, the handle may name a stranger that reused the pid.
        if (process.HasExited)
        {
            core.Dispose();
            throw new ProcessLookupException(
                Interop.Errno.ESRCH,
                $"No such process: cannot open a handle for pid {pid}: the process has already exited ({process.ExitCode}).")
            {
                Pid = pid,
                Operation = "open",
            };
        }

        return new ProcessHandle(core, process);
    }

    /// <summary>
    /// Makes a handle for the process that <paramref name="pidfd"/> names (Linux): the handle works
    /// on a duplicate of the descriptor (F_DUPFD_CLOEXEC, the same process), so the caller keeps
    /// <paramref name="pidfd"/> and may close it at any time. With a pidfd from <see cref="Os.PidfdOpen"/>,
    /// <c>ProcessHandle.FromPidfd(pidfd).KillTreeAsync()</c> kills a tree whose root can never be a
    /// process that reused a pid.
    /// </summary>
    /// <param name="pidfd">A pidfd for a process (not a thread pidfd).</param>
    /// <returns>The handle; dispose it when done. It does not close <paramref name="pidfd"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pidfd"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="pidfd"/> is closed.</exception>
    /// <exception cref="ArgumentException"><paramref name="pidfd"/> is not a pidfd, is a thread pidfd (PIDFD_THREAD, Linux 6.9+), or names a process in a pid namespace this process cannot see.</exception>
    /// <exception cref="ProcessLookupException">The process has exited and been reaped.</exception>
    /// <exception cref="OsException">The descriptor cannot be duplicated, such as EMFILE when the process is out of descriptors.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    [SupportedOSPlatform("linux")]
    public static ProcessHandle FromPidfd(SafePidfdHandle pidfd)
    {
        ArgumentNullException.ThrowIfNull(pidfd);
        ObjectDisposedException.ThrowIf(pidfd.IsClosed, pidfd);
        return new ProcessHandle(PlatformServices.FromPidfd(pidfd), null);
    }

    /// <summary>
    /// Sends <paramref name="sig"/> to the process. On Linux this is pidfd_send_signal. On Windows,
    /// <see cref="Signal.CTRL_C_EVENT"/> and <see cref="Signal.CTRL_BREAK_EVENT"/> go to the process's
    /// console through <see cref="ConsoleControl.Send"/>, and any other number ends the process with
    /// that exit code (TerminateProcess).
    /// </summary>
    /// <param name="sig">The signal.</param>
    /// <exception cref="ProcessLookupException">The process has exited.</exception>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    public void Signal(int sig)
    {
        ThrowIfDisposed();
        _core.Signal(sig);
    }

    /// <summary>
    /// Completes when the process exits. Event-driven, with no sleep loop: on Linux one thread of the
    /// process waits in epoll_wait(2) for every pidfd waited on (any number of waits, sharing one
    /// registration per pidfd); on Windows the thread pool waits on the process handle.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (not the process).</param>
    /// <returns>
    /// A task that completes on exit; cancelled (with <paramref name="cancellationToken"/>) when the
    /// token is; faulted with <see cref="ObjectDisposedException"/> when the handle is disposed first.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The handle is disposed.</exception>
    /// <exception cref="OsException">Linux: the exit watcher cannot be set up, such as EMFILE or ENFILE when the process (or the system) is out of descriptors (a later call tries again); the message names the pid.</exception>
    public Task WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return UntilDisposedAsync(WaitUntilExitedAsync, cancellationToken);
    }

    /// <summary>
    /// Asks the process to stop, waits up to a grace period, then forces it: see <see cref="StopOptions"/>.
    /// Every signal goes through this handle, so none can reach a process that reused the pid.
    /// </summary>
    /// <param name="options">The steps; by default SIGTERM, 5 s, then SIGKILL (Windows: Ctrl+C, then TerminateProcess).</param>
    /// <param name="cancellationToken">Stops the escalation: nothing more is sent after cancellation.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="ObjectDisposedException">The handle is disposed, before the call or while it runs (nothing more is sent then).</exception>
    /// <exception cref="OsException">Linux: the wait after a step cannot be set up, as for <see cref="WaitForExitAsync"/>, such as EMFILE or ENFILE when the process (or the system) is out of descriptors; the message names the pid. What the steps before sent stays sent.</exception>
    public Task<StopResult> StopAsync(StopOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return GracefulStop.RunAsync(this, options ?? StopOptions.Default, cancellationToken);
    }

    /// <summary>
    /// Kills the process and every one of its descendants, leaving none alive even while the tree
    /// keeps forking, and waits until each has exited.
    /// </summary>
    /// <remarks>
    /// <para>Linux: the tree is frozen with SIGSTOP, walk after walk, until no new member appears
    /// and every member is stopped; then each gets SIGKILL. Every signal goes through a pidfd.
    /// Windows: members are found by parent process id, holding a handle on each.</para>
    /// <para>A walk cannot find descendants that were reparented (to init, or a subreaper) before
    /// the call, such as daemons that detached with setsid and a double fork. To reach those, start
    /// the process in a <see cref="ProcessContainer"/>.</para>
    /// </remarks>
    /// <param name="cancellationToken">Cancels the call before the kill (what was frozen is continued); after it, only the wait.</param>
    /// <returns>Which processes were killed.</returns>
    /// <exception cref="ProcessLookupException">Linux: the process has exited, reaped or not (a zombie has no children left to find). (On Windows an exited root is not an error while the handle is held: its children are still found and killed.)</exception>
    /// <exception cref="ArgumentException">The process is the caller or one of its ancestors. Nothing is sent.</exception>
    /// <exception cref="PermissionDeniedException">A member may not be signalled.</exception>
    /// <exception cref="TimeoutException">A member would not stop, or a killed member did not exit; see <see cref="ProcessTree.KillAsync(int, CancellationToken)"/>.</exception>
    /// <exception cref="ObjectDisposedException">The handle is disposed, before the call or while it runs (which then ends as a cancellation would).</exception>
    /// <exception cref="OsException">Any other system error, such as EMFILE or ENFILE when the process (or the system) is out of descriptors (on Linux the walk opens a pidfd for each member); the message names the pid. What was frozen is continued.</exception>
    /// <exception cref="PlatformNotSupportedException">macOS and FreeBSD, where the tree walk is not implemented (guard the call with <c>OperatingSystem.IsLinux() || OperatingSystem.IsWindows()</c>).</exception>
    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    public Task<TreeKillResult> KillTreeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        _core.RequireTreeSupport();
        return UntilDisposedAsync(_core.KillTreeAsync, cancellationToken);
    }

    /// <summary>
    /// Stops the process and all its descendants: every step of <paramref name="options"/> sends its
    /// signal to every member of the tree, then waits until all have exited or the step's time is
    /// up. The default is SIGTERM to every member, 5 s, then SIGKILL to every member left, so that
    /// no grandchild survives its parent's polite exit.
    /// </summary>
    /// <remarks>
    /// <para>Linux: before each step the tree is frozen (as in <see cref="KillTreeAsync"/>), so the
    /// step reaches every member, including those forked since the last step; after a polite signal
    /// every member is continued (SIGCONT), since a stopped process cannot act on it. A member that
    /// was reparented during an earlier step is still held by its pidfd, so the later steps reach it.</para>
    /// <para>Windows: a Ctrl+C or Ctrl+Break step goes to the root's console, where every member
    /// attached to it gets it; a TerminateProcess step ends every member found by the walk. A console
    /// step is refused, before anything is sent, when the root shares the caller's console and that
    /// console has processes outside the tree (the caller's shell, for one): start the tree on a
    /// console of its own. See docs/windows.md.</para>
    /// </remarks>
    /// <param name="options">The steps; by default <see cref="StopOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels the call: nothing more is sent, and what a freeze stopped is continued.</param>
    /// <returns>What happened: which step ended the tree, how many members there were and how many had to be killed.</returns>
    /// <exception cref="ProcessLookupException">Linux: the process has exited, reaped or not (a zombie has no children left to find).</exception>
    /// <exception cref="ArgumentException">The process is the caller or one of its ancestors; on Windows also a console step that would reach processes outside the tree. Nothing is sent.</exception>
    /// <exception cref="PermissionDeniedException">A member may not be signalled.</exception>
    /// <exception cref="TimeoutException">A member would not stop for a step (the signal still went to every member found).</exception>
    /// <exception cref="ObjectDisposedException">The handle is disposed, before the call or while it runs (which then ends as a cancellation would: nothing more is sent).</exception>
    /// <exception cref="OsException">Any other system error, such as EMFILE or ENFILE when the process (or the system) is out of descriptors (on Linux the walk opens a pidfd for each member); the message names the pid. What was frozen is continued.</exception>
    /// <exception cref="PlatformNotSupportedException">macOS and FreeBSD, where the tree walk is not implemented (guard the call with <c>OperatingSystem.IsLinux() || OperatingSystem.IsWindows()</c>).</exception>
    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    public Task<TreeStopResult> StopTreeAsync(StopOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        _core.RequireTreeSupport();
        options ??= StopOptions.Default;
        return UntilDisposedAsync(token => StopTreeWithStatusAsync(options, token), cancellationToken);
    }

    /// <summary>
    /// Closes the handle. The process is not affected. Calls pending on the handle end promptly:
    /// <see cref="WaitForExitAsync"/>, <see cref="StopAsync"/>, <see cref="KillTreeAsync"/> and
    /// <see cref="StopTreeAsync"/> fault with <see cref="ObjectDisposedException"/> (not a
    /// cancellation, which a stop would read as "this step's time is up" and escalate), and nothing
    /// more is sent through the handle. The descriptor (Windows: the process handle) is closed before
    /// Dispose returns: pending waits let go of it at once, and tree calls work on a descriptor or
    /// handles of their own. Only a call that is using it on another thread at that instant (a send
    /// or an exit check already under way) defers the close until it returns; such a call may still
    /// complete its send.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            // Synchronously, the exit watcher drops every wait on this handle, with its reference
            // to the descriptor; the tree calls see a cancellation and end, on handles of their own.
            _disposing.Cancel();
        }
        finally
        {
            _core.Dispose();
        }
    }

    /// <summary>"process 1234".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"process {Pid}";

    /// <summary>
    /// Opens a handle of the macOS/FreeBSD kind (pid plus start time) on any Unix: the tests use it
    /// on Linux, where the kernel and ns_last_pid can prove what it guarantees.
    /// </summary>
    internal static ProcessHandle OpenByStartTime(int pid)
    {
        ProcessGuards.RequireProcessId(pid);
        return new ProcessHandle(PlatformServices.OpenByStartTime(pid), null);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> with a token that <paramref name="cancellationToken"/> and
    /// <see cref="Dispose"/> both cancel. A cancellation that came from Dispose alone becomes an
    /// <see cref="ObjectDisposedException"/>; one from the caller keeps the caller's token.
    /// </summary>
    private async Task<T> UntilDisposedAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            return await operation(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _disposing.IsCancellationRequested)
        {
            throw new ObjectDisposedException(GetType().FullName, $"The handle for {this} was disposed while the call was pending.");
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested && e.CancellationToken != cancellationToken)
        {
            throw new OperationCanceledException(e.Message, e, cancellationToken);
        }
    }

    private async Task<bool> WaitUntilExitedAsync(CancellationToken cancellationToken)
    {
        await _core.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<TreeStopResult> StopTreeWithStatusAsync(StopOptions options, CancellationToken cancellationToken)
    {
        TreeStopResult result = await _core.StopTreeAsync(options, cancellationToken).ConfigureAwait(false);
        return result.Exited ? result.WithExitStatus(ReadExitStatus()) : result;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private bool HasExited()
    {
        ThrowIfDisposed();
        return _core.HasExited();
    }

    /// <summary>
    /// What the platform reads from the handle; else, for a handle made from a <see cref="Process"/>
    /// that has reaped its child, the <see cref="Process"/>'s exit code (128 + N for death by signal N).
    /// </summary>
    private ExitStatus? ReadExitStatus()
    {
        if (_core.ReadExitStatus() is ExitStatus status)
        {
            return status;
        }

        if (_process is not null && _process.HasExited)
        {
            return PlatformServices.ExitStatusOf(_process);
        }

        return null;
    }
}
