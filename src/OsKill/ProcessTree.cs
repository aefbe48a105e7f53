using System.Globalization;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill;

/// <summary>
/// Kills a process and every one of its descendants, leaving none alive, even while the tree keeps
/// forking during the kill.
/// </summary>
/// <remarks>
/// <para>On Linux the tree is frozen first, then killed: the root and every descendant are
/// stopped with SIGSTOP, walk round after walk round, until a round finds no new member while every
/// member is stopped; then every member gets SIGKILL, and the call returns once each has exited.
/// Every signal goes through a pidfd, so none can reach a process that reused a member's pid.</para>
/// <para>A walk follows parent links, so it cannot find a descendant that left the tree before or
/// during the call: a process whose parent exited is reparented to init (or the nearest subreaper),
/// as happens after setsid and a double fork. To take down everything a program ever starts, start
/// it in a <see cref="ProcessContainer"/>. See docs/tree-kill.md.</para>
/// <para>On Windows the tree is walked by parent process id, with a handle held on every member so
/// that no pid can be reused during the walk, and each member is ended with TerminateProcess.</para>
/// <para>macOS and FreeBSD have neither: there the methods throw <see cref="PlatformNotSupportedException"/>,
/// and the platform analyzer (CA1416) asks for a guard such as
/// <c>if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())</c>.</para>
/// </remarks>
public static class ProcessTree
{
    /// <summary>
    /// Kills the process <paramref name="rootPid"/> and all its descendants, and waits until each
    /// has exited.
    /// </summary>
    /// <remarks>
    /// <para>The pid is resolved once, at the start, to a pidfd; a caller that holds a pidfd already
    /// should use it (<c>ProcessHandle.FromPidfd(pidfd).KillTreeAsync()</c>, see
    /// <see cref="ProcessHandle.FromPidfd"/>), so that a pid reused just before the call cannot be hit either.</para>
    /// <para>Cancellation before the kill phase continues (SIGCONT) the members that were stopped
    /// and throws <see cref="OperationCanceledException"/>; once SIGKILL has been sent, it only
    /// stops the wait for the exits.</para>
    /// <para>Every signal sent to a member raises the audit event <c>os.kill</c> with <c>(pid, sig)</c>
    /// first (<see cref="Audit"/>). A hook that vetoes a SIGSTOP ends the freeze: what was stopped is
    /// continued. The SIGKILL is all or nothing: its events are raised for every member before any is
    /// sent, so a veto for one member kills nobody, and the frozen tree is continued. Either way the
    /// hook's exception reaches the caller unchanged.</para>
    /// <para>The freeze and the kill are synchronous system calls made on the calling thread before
    /// the method first yields (at raised priority where that is allowed, see docs/tree-kill.md); they
    /// take milliseconds for hundreds of processes. A member that is slow to stop is waited for with
    /// a 2 ms spin, then short sleeps, up to 5 s, on that thread too. Only the wait for the exits is
    /// asynchronous.</para>
    /// </remarks>
    /// <param name="rootPid">The root of the tree: a process id greater than 0.</param>
    /// <param name="cancellationToken">Cancels the call; see the remarks.</param>
    /// <returns>Which processes were killed, in how many walk rounds, and how long it took.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rootPid"/> is 0 or negative. Nothing is sent.</exception>
    /// <exception cref="ArgumentException"><paramref name="rootPid"/> is the calling process or one of its ancestors (pid 1 among them), or (Linux) a thread id rather than a process id; the message names its process. Nothing is sent.</exception>
    /// <exception cref="ProcessLookupException">No process <paramref name="rootPid"/> (ESRCH), or (Linux) it has exited and is a zombie, which has no children left to find; the message says that its descendants may still be running.</exception>
    /// <exception cref="PermissionDeniedException">A member may not be signalled (EPERM); the members already stopped are continued.</exception>
    /// <exception cref="TimeoutException">A member did not stop within 5 s (uninterruptible sleep, or a tracer that swallowed the SIGSTOP): everything found was killed anyway, and the message names each such pid with its state and says whether every member has exited, since a child it forked after the last walk may have escaped. Or a killed member did not exit within 10 s. A member in a frozen cgroup v2 is not such a case: it cannot fork, counts as stopped, and is killed with the rest.</exception>
    /// <exception cref="OsException">Any other system error, such as EMFILE or ENFILE when the process (or the system) is out of descriptors (on Linux the walk opens a pidfd for each member); the message names the pid.</exception>
    /// <exception cref="PlatformNotSupportedException">Neither Linux (5.3 and later, for pidfds) nor Windows: macOS and FreeBSD among others.</exception>
    /// <exception cref="Exception">Whatever an audit hook throws to veto a signal, unchanged (an <see cref="AggregateException"/> with it first when continuing the stopped members failed too).</exception>
    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    public static Task<TreeKillResult> KillAsync(int rootPid, CancellationToken cancellationToken = default)
    {
        if (rootPid <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rootPid), rootPid, WhyNotPositive(rootPid));
        }

        RequireSupported(rootPid);
        return KillByPidAsync(rootPid, cancellationToken);
    }

    /// <summary>
    /// Stops the process <paramref name="rootPid"/> and all its descendants politely, then by force:
    /// see <see cref="ProcessHandle.StopTreeAsync"/>.
    /// </summary>
    /// <param name="rootPid">The root of the tree: a process id greater than 0.</param>
    /// <param name="options">The steps; by default SIGTERM, 5 s, then SIGKILL (Windows: Ctrl+C, then TerminateProcess).</param>
    /// <param name="cancellationToken">Cancels the call: nothing more is sent, and members stopped by a freeze are continued.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rootPid"/> is 0 or negative. Nothing is sent.</exception>
    /// <exception cref="ArgumentException"><paramref name="rootPid"/> is the calling process or one of its ancestors, or (Linux) a thread id rather than a process id. Nothing is sent.</exception>
    /// <exception cref="ProcessLookupException">No process <paramref name="rootPid"/>, or (Linux) it has exited and is a zombie; the message says that its descendants may still be running.</exception>
    /// <exception cref="PermissionDeniedException">The root or a member may not be signalled.</exception>
    /// <exception cref="TimeoutException">A member would not stop for a step (the signal still went to every member found).</exception>
    /// <exception cref="OsException">Any other system error, such as EMFILE or ENFILE when the process (or the system) is out of descriptors (on Linux the walk opens a pidfd for each member); the message names the pid.</exception>
    /// <exception cref="PlatformNotSupportedException">Neither Linux nor Windows: macOS and FreeBSD among others.</exception>
    /// <exception cref="Exception">Whatever an audit hook throws to veto a signal (Linux: a step's signal is sent to no member then, and the frozen tree is continued), unchanged (an <see cref="AggregateException"/> with it first when continuing the stopped members failed too).</exception>
    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    public static Task<TreeStopResult> StopAsync(int rootPid, StopOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (rootPid <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rootPid), rootPid, WhyNotPositive(rootPid));
        }

        RequireSupported(rootPid);
        return StopThroughHandleAsync(rootPid, options, cancellationToken);
    }

    /// <summary>Why a pid of 0 or below is refused, in words.</summary>
    internal static string WhyNotPositive(int pid) => pid switch
    {
        0 => "A process tree needs a root process id greater than 0. To kill(2), pid 0 means the caller's own process group: " +
             "an uninitialised pid would take down the caller and its group. Use Os.KillPg or Os.Kill(0, sig) if that is what you mean.",
        -1 => "A process tree needs a root process id greater than 0. To kill(2), pid -1 means every process the caller may signal. " +
              "Use Os.Kill(-1, sig) if that is what you mean.",
        _ => string.Create(
            CultureInfo.InvariantCulture,
            $"A process tree needs a root process id greater than 0. To kill(2), pid {pid} means the process group {-(long)pid}; use Os.KillPg for a group."),
    };

    private const string RootGoneAdvice =
        "If it was the root of a process tree, its descendants may still be running: once a root has exited, " +
        "a tree call cannot find its children (on Linux they have been reparented to init or a subreaper). Stop or kill the tree in one call while its root runs " +
        "(StopTreeAsync or KillTreeAsync, not StopAsync first), or start it in a ProcessContainer, which ends everything it started.";

    /// <summary>
    /// The "no such process" of a tree call whose root is gone: <paramref name="e"/> with the same
    /// errno, pid, signal, operation and OS text, and a message that goes on to say what may have
    /// become of the root's descendants, and how to avoid that.
    /// </summary>
    /// <remarks>An exception that already says it is returned as it is, so that entry points that wrap each other say it once.</remarks>
    internal static ProcessLookupException RootGone(ProcessLookupException e) => e.Message.EndsWith(RootGoneAdvice, StringComparison.Ordinal) ? e :
        new(e.Errno, $"{e.Message.TrimEnd('.')}. {RootGoneAdvice}")
        {
            Pid = e.Pid,
            Signal = e.Signal,
            Operation = e.Operation,
            OsMessage = e.OsMessage,
            WinError = e.WinError,
        };

    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    private static async Task<TreeKillResult> KillByPidAsync(int rootPid, CancellationToken cancellationToken)
    {
        try
        {
            return await PlatformServices.KillTreeByPidAsync(rootPid, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessLookupException e) when (e.Pid == rootPid)
        {
            throw RootGone(e);
        }
    }

    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    private static async Task<TreeStopResult> StopThroughHandleAsync(int rootPid, StopOptions? options, CancellationToken cancellationToken)
    {
        ProcessHandle root;
        try
        {
            root = PlatformServices.OpenTreeRoot(rootPid, nameof(rootPid));
        }
        catch (ProcessLookupException e)
        {
            throw RootGone(e);
        }

        using (root)
        {
            return await root.StopTreeAsync(options, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void RequireSupported(int pid)
    {
        if (!PlatformServices.TreesSupported)
        {
            throw new PlatformNotSupportedException(
                string.Create(CultureInfo.InvariantCulture, $"ProcessTree({pid}): the tree kill and stop are implemented on Linux (5.3 and later, for pidfds) and Windows, not on {Platform.Name}."));
        }
    }
}
