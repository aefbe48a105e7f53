using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>How a <see cref="ProcessHandle"/> works on Windows: a process handle, waited on by the thread pool.</summary>
internal static class ProcessWait
{
    private const uint Access = Kernel32.PROCESS_TERMINATE | Kernel32.SYNCHRONIZE | Kernel32.PROCESS_QUERY_LIMITED_INFORMATION;

    internal static SafeProcessHandle Open(int pid)
    {
        nint handle = Kernel32.OpenProcess(Access, inheritHandle: false, pid);
        if (handle == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            int errno = error == WinError.ERROR_INVALID_PARAMETER ? Errno.ESRCH : WinError.ToErrno(error);
            throw OsException.FromWin32(error, errno, "OpenProcess", "cannot open pid " + pid.ToString(CultureInfo.InvariantCulture), pid, null);
        }

        return new SafeProcessHandle(handle, ownsHandle: true);
    }

    internal static bool HasExited(SafeHandle process) => WithHandle(process, h => Kernel32.WaitForSingleObject(h, 0) == Kernel32.WAIT_OBJECT_0);

    internal static ProcessExitStatus? ExitStatus(SafeHandle process) => WithHandle(process, h =>
        Kernel32.GetExitCodeProcess(h, out uint code) ? new ProcessExitStatus(unchecked((int)code), null) : (ProcessExitStatus?)null);

    internal static Task WaitForExitAsync(SafeHandle process, CancellationToken cancellationToken)
    {
        if (HasExited(process))
        {
            return Task.CompletedTask;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waitHandle = new ProcessWaitHandle(process);
        RegisteredWaitHandle registration = ThreadPool.RegisterWaitForSingleObject(
            waitHandle, (_, _) => completion.TrySetResult(), null, Timeout.Infinite, executeOnlyOnce: true);
        CancellationTokenRegistration cancel = cancellationToken.Register(() => completion.TrySetCanceled(cancellationToken));
        completion.Task.ContinueWith(
            _ =>
            {
                registration.Unregister(null);
                cancel.Dispose();
                waitHandle.Dispose();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return completion.Task;
    }

    private static T WithHandle<T>(SafeHandle process, Func<nint, T> use)
    {
        bool added = false;
        try
        {
            process.DangerousAddRef(ref added);
            return use(process.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                process.DangerousRelease();
            }
        }
    }

    /// <summary>A WaitHandle over the process handle, which it does not own.</summary>
    private sealed class ProcessWaitHandle : WaitHandle
    {
        internal ProcessWaitHandle(SafeHandle process) =>
            SafeWaitHandle = new SafeWaitHandle(process.DangerousGetHandle(), ownsHandle: false);
    }
}
