using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
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
            throw Win32Errors.LastProcessError("OpenProcess", "cannot open pid " + pid.ToString(CultureInfo.InvariantCulture), pid, null);
        }

        return new SafeProcessHandle(handle, ownsHandle: true);
    }

    internal static bool HasExited(SafeHandle process) => WithHandle(process, h => Kernel32.WaitForSingleObject(h, 0) == Kernel32.WAIT_OBJECT_0);

    internal static ExitStatus? ExitStatus(SafeHandle process) => WithHandle(process, h =>
        Kernel32.GetExitCodeProcess(h, out uint code) ? new ExitStatus(unchecked((int)code), null) : (ExitStatus?)null);

    /// <summary>
    /// Completes when the process exits; cancelled, at once, when <paramref name="cancellationToken"/> is.
    /// </summary>
    /// <remarks>
    /// The thread pool waits on a duplicate of <paramref name="process"/>, owned by the wait, not on
    /// the caller's handle: the caller may close its handle (ProcessHandle.Dispose) while the wait is
    /// pending, or just after cancelling it, and the pool, which lets go of a wait only some time after
    /// Unregister returns, never waits on a closed handle, nor on another object that was given the
    /// same handle value. The pool holds a reference on the duplicate until it has let go, so closing
    /// it here is deferred until then.
    /// </remarks>
    internal static Task WaitForExitAsync(SafeHandle process, CancellationToken cancellationToken)
    {
        if (HasExited(process))
        {
            return Task.CompletedTask;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // A cancelled task, as Process.WaitForExitAsync gives, not an exception from the call.
            return Task.FromCanceled(cancellationToken);
        }

        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waitHandle = new ProcessWaitHandle(Duplicate(process));
        RegisteredWaitHandle registration;
        try
        {
            registration = ThreadPool.RegisterWaitForSingleObject(
                waitHandle, (_, _) => completion.TrySetResult(), null, Timeout.Infinite, executeOnlyOnce: true);
        }
        catch
        {
            waitHandle.Dispose();
            throw;
        }

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

    /// <summary>A handle of our own on the process the caller's handle names (DuplicateHandle, same access).</summary>
    private static SafeWaitHandle Duplicate(SafeHandle process) => WithHandle(process, h =>
    {
        if (!Kernel32.DuplicateHandle(Kernel32.CurrentProcess, h, Kernel32.CurrentProcess, out nint copy, 0, inheritHandle: false, Kernel32.DUPLICATE_SAME_ACCESS))
        {
            int error = Marshal.GetLastPInvokeError();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "DuplicateHandle", "cannot wait for the exit of pid " + Kernel32.GetProcessId(h).ToString(CultureInfo.InvariantCulture), null, null);
        }

        return new SafeWaitHandle(copy, ownsHandle: true);
    });

    private static T WithHandle<T>(SafeHandle process, Func<nint, T> use)
    {
        using var lease = SafeHandleLease.Acquire(process);
        return use(lease.Value);
    }

    /// <summary>A WaitHandle over a process handle of its own, which it closes.</summary>
    private sealed class ProcessWaitHandle : WaitHandle
    {
        internal ProcessWaitHandle(SafeWaitHandle process) => SafeWaitHandle = process;
    }
}
