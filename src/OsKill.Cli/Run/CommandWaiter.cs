using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>Waits for CMD, oskill's own child, on a thread of its own, and reaps it: the task gives its wait status.</summary>
[SupportedOSPlatform("linux")]
internal static class CommandWaiter
{
    internal static Task<int> Start(int pid)
    {
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            while (true)
            {
                int r = Native.WaitPid(pid, out int status, 0);
                if (r == pid)
                {
                    exited.SetResult(status);
                    return;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (r < 0 && errno != Native.EIntr)
                {
                    exited.SetException(new IOException($"waitpid({pid}): {Native.Message(errno)}"));
                    return;
                }
            }
        })
        {
            IsBackground = true,
            Name = "oskill run: wait for CMD",
        };
        thread.Start();
        return exited.Task;
    }
}
