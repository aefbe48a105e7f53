using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Windows.Tree;

namespace OsKill.Windows;

/// <summary>
/// How a <see cref="ProcessHandle"/> works on Windows: a process handle (see <see cref="ProcessWait"/>),
/// which keeps the pid from being reused while it is open. Ctrl+C and Ctrl+Break go to the process's
/// console; any other number ends the process with that exit code (TerminateProcess).
/// </summary>
/// <remarks>
/// A tree call opens handles of its own on the root and every member; it holds the caller's handle
/// only while it opens the root's, so <see cref="ProcessHandle.Dispose"/> closes it at once.
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed class WindowsHandleCore : IProcessHandleCore
{
    private readonly SafeHandle _process;

    private WindowsHandleCore(SafeHandle process, int pid)
    {
        _process = process;
        Pid = pid;
    }

    public int Pid { get; }

    public SafeHandle Handle => _process;

    /// <summary>Opens the process that has <paramref name="pid"/> now.</summary>
    internal static WindowsHandleCore Open(int pid) => new(ProcessWait.Open(pid), pid);

    public bool HasExited() => ProcessWait.HasExited(_process);

    public void Signal(int sig)
    {
        if (sig is WindowsSignals.CtrlCEvent or WindowsSignals.CtrlBreakEvent)
        {
            if (HasExited())
            {
                throw new ProcessLookupException(Errno.ESRCH, $"No such process: cannot send {OsException.SignalText(sig)} to pid {Pid}: the process has exited.")
                {
                    Pid = Pid,
                    Signal = sig,
                    Operation = "console event",
                };
            }

            ConsoleControl.Send(Pid, (ConsoleEvent)sig);
            return;
        }

        Os.Kill(_process, sig);
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => ProcessWait.WaitForExitAsync(_process, cancellationToken);

    public ExitStatus? ReadExitStatus() => ProcessWait.ExitStatus(_process);

    public void RequireTreeSupport()
    {
    }

    public Task<TreeKillResult> KillTreeAsync(CancellationToken cancellationToken) =>
        WindowsProcessTree.KillAsync(_process, Pid, cancellationToken);

    public Task<TreeStopResult> StopTreeAsync(StopOptions options, CancellationToken cancellationToken) =>
        WindowsProcessTree.StopAsync(_process, Pid, options, cancellationToken);

    public void Dispose() => _process.Dispose();
}
