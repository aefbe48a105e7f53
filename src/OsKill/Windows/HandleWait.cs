using System.Diagnostics;
using System.Runtime.InteropServices;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// Event-driven waiting for many process handles at once: WaitForMultipleObjects on batches of up
/// to 63 handles, plus the cancellation token's event, so that cancelling wakes the wait at once.
/// There is no polling interval: the thread sleeps in the kernel until a process exits.
/// </summary>
internal static class HandleWait
{
    /// <summary>
    /// A <see cref="Stopwatch"/> timestamp <paramref name="limit"/> from now; <see cref="long.MaxValue"/>
    /// (no deadline) for <see cref="Timeout.InfiniteTimeSpan"/> and for a limit too far away for a
    /// timestamp to hold, such as <see cref="TimeSpan.MaxValue"/>. Computed in 128 bits: in 64, a
    /// huge limit wraps around to a deadline in the past, and the wait it bounds ends at once.
    /// </summary>
    internal static long Deadline(TimeSpan limit)
    {
        if (limit == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        Int128 deadline = Stopwatch.GetTimestamp() + ((Int128)limit.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        return deadline >= long.MaxValue ? long.MaxValue : deadline <= 0 ? 0 : (long)deadline;
    }

    /// <summary>
    /// Waits, on the calling thread, until every handle is signalled (every process has exited), or
    /// until <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp). Returns the indexes
    /// of the handles not signalled by then: empty when all were.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="OsException">WaitForMultipleObjects failed.</exception>
    internal static unsafe List<int> WaitAll(IReadOnlyList<SafeHandle> handles, long deadline, CancellationToken cancellationToken)
    {
        var refs = new List<SafeHandle>(handles.Count);
        try
        {
            var pending = new List<int>(handles.Count);
            for (int i = 0; i < handles.Count; i++)
            {
                bool added = false;
                handles[i].DangerousAddRef(ref added);
                refs.Add(handles[i]);
                if (Kernel32.WaitForSingleObject(handles[i].DangerousGetHandle(), 0) != Kernel32.WAIT_OBJECT_0)
                {
                    pending.Add(i);
                }
            }

            if (pending.Count == 0)
            {
                return pending;
            }

            SafeHandle? cancel = cancellationToken.CanBeCanceled ? cancellationToken.WaitHandle.SafeWaitHandle : null;
            bool cancelAdded = false;
            try
            {
                cancel?.DangerousAddRef(ref cancelAdded);
                nint* batch = stackalloc nint[Kernel32.MAXIMUM_WAIT_OBJECTS];
                int size = Kernel32.MAXIMUM_WAIT_OBJECTS - 1;
                while (pending.Count > 0)
                {
                    // Wait for the first batch; each wake-up drops every handle of the batch that is
                    // signalled, so the batch empties and the next pending handles move up.
                    int n = Math.Min(pending.Count, size);
                    for (int k = 0; k < n; k++)
                    {
                        batch[k] = handles[pending[k]].DangerousGetHandle();
                    }

                    int count = n;
                    if (cancel is not null)
                    {
                        batch[count++] = cancel.DangerousGetHandle();
                    }

                    uint rc = Kernel32.WaitForMultipleObjects((uint)count, batch, waitAll: false, Milliseconds(deadline));
                    if (rc == Kernel32.WAIT_FAILED)
                    {
                        int error = Marshal.GetLastPInvokeError();
                        throw OsException.FromWin32(error, WinError.ToErrno(error), "WaitForMultipleObjects", $"cannot wait for {pending.Count} process(es) to exit", null, null);
                    }

                    if (rc == Kernel32.WAIT_TIMEOUT)
                    {
                        if (Passed(deadline))
                        {
                            return pending;
                        }

                        // One wait is at most INFINITE - 1 ms (49.7 days): a later deadline takes more.
                        continue;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    int kept = 0;
                    for (int k = 0; k < pending.Count; k++)
                    {
                        if (k >= n || Kernel32.WaitForSingleObject(batch[k], 0) != Kernel32.WAIT_OBJECT_0)
                        {
                            pending[kept++] = pending[k];
                        }
                    }

                    pending.RemoveRange(kept, pending.Count - kept);
                }

                return pending;
            }
            finally
            {
                if (cancelAdded)
                {
                    cancel!.DangerousRelease();
                }
            }
        }
        finally
        {
            foreach (SafeHandle h in refs)
            {
                h.DangerousRelease();
            }
        }
    }

    /// <summary>Whether <paramref name="deadline"/> has passed; never for <see cref="long.MaxValue"/>.</summary>
    internal static bool Passed(long deadline) => deadline != long.MaxValue && Stopwatch.GetTimestamp() >= deadline;

    /// <summary>
    /// The milliseconds left until <paramref name="deadline"/>, for a wait: 0 once it has passed,
    /// INFINITE for none, and at most INFINITE - 1 otherwise (a caller whose wait times out before
    /// the deadline waits again).
    /// </summary>
    internal static uint Milliseconds(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return Kernel32.INFINITE;
        }

        long left = deadline - Stopwatch.GetTimestamp();
        if (left <= 0)
        {
            return 0;
        }

        // Round up, so that a wait never ends just before the deadline and spins on a zero timeout.
        double ms = Math.Ceiling(left * 1000.0 / Stopwatch.Frequency);
        return ms >= Kernel32.INFINITE - 1 ? Kernel32.INFINITE - 1 : (uint)ms;
    }
}
