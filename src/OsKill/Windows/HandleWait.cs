using System.Diagnostics;
using System.Runtime.InteropServices;
using OsKill.Core;
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
                        if (Deadline.Passed(deadline))
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

    /// <summary>
    /// The milliseconds left until <paramref name="deadline"/>, for a wait: 0 once it has passed,
    /// INFINITE for none, and at most <see cref="int.MaxValue"/> otherwise (a caller whose wait
    /// times out before the deadline waits again). Rounded up, as <see cref="Deadline.RemainingMilliseconds"/> is.
    /// </summary>
    internal static uint Milliseconds(long deadline) => unchecked((uint)Deadline.RemainingMilliseconds(deadline));
}
