using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// An I/O completion port associated with a job object: from then on the job posts a message for
/// every process start and exit (JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO among them), and each one wakes
/// a waiter to look again. A container associates one at its first kill, so a container that never
/// kills queues nothing.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class JobCompletionPort : IDisposable
{
    /// <summary>The completion key of the job's messages on the port.</summary>
    private const nuint JobKey = 1;

    /// <summary>The completion key of the packet posted to wake a waiter on cancellation.</summary>
    private const nuint WakeKey = 2;

    private readonly KernelHandle _port;

    private JobCompletionPort(KernelHandle port)
    {
        _port = port;
    }

    /// <summary>Creates a port and associates it with <paramref name="job"/>.</summary>
    /// <exception cref="OsException">CreateIoCompletionPort or SetInformationJobObject failed.</exception>
    internal static unsafe JobCompletionPort Associate(SafeHandle job)
    {
        nint raw = Kernel32.CreateIoCompletionPort(Kernel32.INVALID_HANDLE_VALUE, 0, 0, 1);
        if (raw == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "CreateIoCompletionPort", "cannot create the completion port of a process container", null, null);
        }

        var port = new KernelHandle(raw);
        var association = new Kernel32.JobAssociateCompletionPort { CompletionKey = (nint)JobKey, CompletionPort = raw };
        using var lease = SafeHandleLease.Acquire(job);
        if (!Kernel32.SetInformationJobObject(lease.Value, Kernel32.JobObjectAssociateCompletionPortInformation, &association, (uint)sizeof(Kernel32.JobAssociateCompletionPort)))
        {
            int error = Marshal.GetLastPInvokeError();
            port.Dispose();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "SetInformationJobObject", "cannot associate a completion port with the job object of a process container", null, null);
        }

        return new JobCompletionPort(port);
    }

    /// <summary>Drops the messages queued so far: they are about processes that came and went before now.</summary>
    internal void Drain()
    {
        while (Kernel32.GetQueuedCompletionStatus(_port.DangerousGetHandle(), out _, out _, out _, 0))
        {
        }
    }

    /// <summary>
    /// Waits, on the calling thread, until <paramref name="done"/> is true: it is asked first and
    /// again after each packet. False when it is still false at the deadline. Several threads may
    /// wait at once (a stop's wait and a kill's): each packet wakes one of them, so one that finds
    /// <paramref name="done"/> true after a packet posts another, to wake the next to look again.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (a posted packet wakes the wait).</exception>
    /// <exception cref="OsException">GetQueuedCompletionStatus failed.</exception>
    internal bool WaitUntil(Func<bool> done, long deadline, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration wake = cancellationToken.UnsafeRegister(
            static state => Kernel32.PostQueuedCompletionStatus(((KernelHandle)state!).DangerousGetHandle(), 0, WakeKey, 0),
            _port);
        bool woken = false;
        while (!done())
        {
            uint ms = HandleWait.Milliseconds(deadline);
            bool got = Kernel32.GetQueuedCompletionStatus(_port.DangerousGetHandle(), out _, out _, out _, ms);
            cancellationToken.ThrowIfCancellationRequested();
            if (!got && Marshal.GetLastPInvokeError() == (int)Kernel32.WAIT_TIMEOUT)
            {
                if (Deadline.Passed(deadline))
                {
                    return done();
                }

                // A wait is at most INFINITE - 1 ms: a later deadline takes another.
                continue;
            }

            if (!got)
            {
                int error = Marshal.GetLastPInvokeError();
                throw OsException.FromWin32(error, WinError.ToErrno(error), "GetQueuedCompletionStatus", "cannot wait for the processes of a process container to exit", null, null);
            }

            woken = true;
        }

        if (woken)
        {
            _ = Kernel32.PostQueuedCompletionStatus(_port.DangerousGetHandle(), 0, WakeKey, 0);
        }

        return true;
    }

    public void Dispose() => _port.Dispose();
}
