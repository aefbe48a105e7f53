using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Linux.Tree;

namespace OsKill.Linux;

/// <summary>
/// How a <see cref="ProcessHandle"/> works on Linux (5.3+): a pidfd, which names one process for
/// as long as it is open. Signals go through pidfd_send_signal, waits through the process-wide
/// epoll exit watcher, the exit status through waitid(P_PIDFD, WNOWAIT).
/// </summary>
/// <remarks>
/// A tree call works on a duplicate of the pidfd (F_DUPFD_CLOEXEC: the same open file, so the same
/// process), which the call owns and closes when it ends. The caller's descriptor is then never held
/// by a pending tree call, and <see cref="ProcessHandle.Dispose"/> closes it before it returns.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class PidfdHandleCore : IProcessHandleCore
{
    private readonly SafePidfdHandle _pidfd;

    private PidfdHandleCore(SafePidfdHandle pidfd, int pid)
    {
        _pidfd = pidfd;
        Pid = pid;
    }

    public int Pid { get; }

    public SafeHandle Handle => _pidfd;

    /// <summary>Opens a pidfd for the process that has <paramref name="pid"/> now.</summary>
    internal static PidfdHandleCore Open(int pid) => new(Os.PidfdOpen(pid), pid);

    /// <summary>A core over a duplicate of the caller's <paramref name="pidfd"/>, which the caller keeps.</summary>
    internal static PidfdHandleCore FromPidfd(SafePidfdHandle pidfd)
    {
        using var lease = SafeHandleLease.Acquire(pidfd);
        int pid = PidfdInfo.PidOf(pidfd);
        return new PidfdHandleCore(Duplicate(pidfd, pid), pid);
    }

    public bool HasExited() => PidfdExitWatcher.HasExited(_pidfd);

    public void Signal(int sig)
    {
        // pidfd_send_signal still succeeds on a zombie (exited, not yet reaped by its parent), which
        // HasExited calls exited: say so here too, rather than "send" to a process that has died.
        if (HasExited())
        {
            throw new ProcessLookupException(Errno.ESRCH, $"[Errno 3] No such process: cannot send {OsException.SignalText(sig)} to pid {Pid}: the process has exited (pidfd_send_signal)")
            {
                Pid = Pid,
                Signal = sig,
                Operation = "pidfd_send_signal",
            };
        }

        Os.Kill(_pidfd, sig);
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => PidfdExitWatcher.WaitForExitAsync(_pidfd, cancellationToken);

    public ExitStatus? ReadExitStatus() => ChildStatus.TryRead(_pidfd);

    public void RequireTreeSupport()
    {
    }

    public async Task<TreeKillResult> KillTreeAsync(CancellationToken cancellationToken)
    {
        using SafePidfdHandle own = Duplicate(_pidfd, Pid);
        return await LinuxProcessTree.KillAsync(own, scanProc: !LinuxProcessTree.HaveChildrenFiles, cancellationToken).ConfigureAwait(false);
    }

    public async Task<TreeStopResult> StopTreeAsync(StopOptions options, CancellationToken cancellationToken)
    {
        using SafePidfdHandle own = Duplicate(_pidfd, Pid);
        return await LinuxProcessTree.StopAsync(own, options, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _pidfd.Dispose();

    /// <summary>A pidfd of the call's own for the same process: fcntl(F_DUPFD_CLOEXEC).</summary>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="OsException">The duplicate cannot be made, such as EMFILE when the process is out of descriptors.</exception>
    private static SafePidfdHandle Duplicate(SafePidfdHandle pidfd, int pid)
    {
        using var lease = SafeHandleLease.Acquire(pidfd);
        int fd = Libc.Fcntl(lease.FileDescriptor, Libc.F_DUPFD_CLOEXEC_Linux, 0);
        if (fd < 0)
        {
            throw OsException.FromErrno(Marshal.GetLastPInvokeError(), "fcntl", $"cannot duplicate the pidfd of pid {pid}", pid, null);
        }

        return new SafePidfdHandle(fd, pid);
    }
}
