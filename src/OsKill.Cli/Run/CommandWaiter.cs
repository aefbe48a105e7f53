using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>
/// Waits for CMD, oskill's own child, on a thread of its own, and reaps it: <see cref="Exited"/>
/// gives its wait status. <see cref="SendIfRunning"/> signals CMD by pid only while it is not
/// reaped, so never a process that reused the pid: the waiter first waits without reaping
/// (WNOWAIT), and reaps under the same lock.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class CommandWaiter
{
    private readonly object _gate = new();
    private readonly int _pid;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _reaped;

    private CommandWaiter(int pid) => _pid = pid;

    /// <summary>CMD's wait status, once it has exited and been reaped.</summary>
    public Task<int> Exited => _exited.Task;

    internal static CommandWaiter Start(int pid)
    {
        var waiter = new CommandWaiter(pid);
        var thread = new Thread(waiter.Wait) { IsBackground = true, Name = "oskill run: wait for CMD" };
        thread.Start();
        return waiter;
    }

    /// <summary>Sends <paramref name="sig"/> to CMD if it has not been reaped; false (nothing sent) once it has.</summary>
    /// <exception cref="IOException">kill(2) failed.</exception>
    internal bool SendIfRunning(int sig)
    {
        lock (_gate)
        {
            if (_reaped)
            {
                return false;
            }

            if (Native.Kill(_pid, sig) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"kill({_pid}, {sig}): {Native.Message(errno)}");
            }

            return true;
        }
    }

    private void Wait()
    {
        byte* info = stackalloc byte[128];
        while (Native.WaitId(Native.PPid, _pid, info, Native.WExited | Native.WNoWait) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Native.EIntr)
            {
                _exited.SetException(new IOException($"waitid({_pid}): {Native.Message(errno)}"));
                return;
            }
        }

        int status;
        lock (_gate)
        {
            int r = Native.WaitPid(_pid, out status, Native.WNoHang);
            int errno = Marshal.GetLastPInvokeError();
            _reaped = true;
            if (r != _pid)
            {
                _exited.SetException(new IOException($"waitpid({_pid}): {(r == 0 ? "not exited" : Native.Message(errno))}"));
                return;
            }
        }

        _exited.SetResult(status);
    }
}
