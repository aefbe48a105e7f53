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

    public Task<TreeKillResult> KillTreeAsync(CancellationToken cancellationToken) =>
        LinuxProcessTree.KillAsync(_pidfd, scanProc: !LinuxProcessTree.HaveChildrenFiles, cancellationToken);

    public Task<TreeStopResult> StopTreeAsync(StopOptions options, CancellationToken cancellationToken) =>
        LinuxProcessTree.StopAsync(_pidfd, options, cancellationToken);

    public void Dispose() => _pidfd.Dispose();
}
