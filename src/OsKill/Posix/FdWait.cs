using System.Diagnostics;
using System.Runtime.InteropServices;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Posix;

/// <summary>
/// Event-driven waiting on descriptors with poll(2): pidfds (readable once the process has
/// exited) and cgroup.events (POLLPRI when it changes). A cancellation token is turned into an
/// eventfd in the same poll set, so cancelling wakes the wait at once; there is no polling
/// interval.
/// </summary>
internal sealed unsafe class FdWait : IDisposable
{
    private readonly CancellationToken _cancellationToken;
    private readonly int _cancelFd = -1;
    private readonly CancellationTokenRegistration _registration;

    internal FdWait(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _cancelFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            if (_cancelFd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw OsException.FromErrno(errno, "eventfd", "cannot create the eventfd that wakes a wait on cancellation", null, null);
            }

            _registration = cancellationToken.UnsafeRegister(static state => ((FdWait)state!).Wake(), this);
        }
    }

    /// <summary>
    /// Waits until every descriptor in <paramref name="fds"/> reports one of <paramref name="events"/>
    /// (or an error or hang-up), or until <paramref name="deadline"/> (a <see cref="Stopwatch"/>
    /// timestamp). Returns the indexes of the descriptors that were not ready by then: empty when all were.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    internal List<int> WaitAll(IReadOnlyList<int> fds, short events, long deadline)
    {
        var pending = new List<int>(fds.Count);
        for (int i = 0; i < fds.Count; i++)
        {
            pending.Add(i);
        }

        var set = new Libc.PollFd[fds.Count + 1];
        while (pending.Count > 0)
        {
            int n = 0;
            foreach (int index in pending)
            {
                set[n++] = new Libc.PollFd { Fd = fds[index], Events = events };
            }

            int ready = Poll(set, n, deadline);
            if (ready == 0)
            {
                return pending;
            }

            int kept = 0;
            for (int k = 0; k < n; k++)
            {
                if (set[k].REvents == 0)
                {
                    pending[kept++] = pending[k];
                }
            }

            pending.RemoveRange(kept, pending.Count - kept);
        }

        return pending;
    }

    /// <summary>
    /// Waits once until <paramref name="fd"/> reports one of <paramref name="events"/>, or until the
    /// deadline. Returns false on timeout.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    internal bool WaitOne(int fd, short events, long deadline)
    {
        var set = new Libc.PollFd[2];
        set[0] = new Libc.PollFd { Fd = fd, Events = events };
        return Poll(set, 1, deadline) > 0;
    }

    public void Dispose()
    {
        // Unregistering waits for a callback that is running, so the eventfd is not closed under it.
        _registration.Dispose();
        if (_cancelFd >= 0)
        {
            Libc.Close(_cancelFd);
        }
    }

    /// <summary>
    /// poll(2) on the first <paramref name="count"/> entries plus the cancellation eventfd. Returns
    /// how many of those entries are ready (0 on timeout). EINTR is not an outcome: the wait
    /// continues with the time that is left.
    /// </summary>
    private int Poll(Libc.PollFd[] set, int count, long deadline)
    {
        int total = count;
        if (_cancelFd >= 0)
        {
            set[total++] = new Libc.PollFd { Fd = _cancelFd, Events = Libc.POLLIN };
        }

        while (true)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            int result;
            fixed (Libc.PollFd* p = set)
            {
                result = Libc.Poll(p, (nuint)total, Deadline.RemainingMilliseconds(deadline));
            }

            if (result < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                throw OsException.FromErrno(errno, "poll", $"cannot wait on {count} descriptor(s)", null, null);
            }

            _cancellationToken.ThrowIfCancellationRequested();
            for (int k = 0; k < count; k++)
            {
                if ((set[k].REvents & Libc.POLLNVAL) != 0)
                {
                    throw new InvalidOperationException($"poll: descriptor {set[k].Fd} is not open (POLLNVAL); it was closed while we waited on it.");
                }
            }

            if (result == 0)
            {
                if (Deadline.RemainingMilliseconds(deadline) == 0)
                {
                    return 0;
                }

                continue; // the longest poll(2) timeout (24.8 days) is up, but not the deadline
            }

            int ready = 0;
            for (int k = 0; k < count; k++)
            {
                if (set[k].REvents != 0)
                {
                    ready++;
                }
            }

            if (ready > 0 || Deadline.RemainingMilliseconds(deadline) == 0)
            {
                return ready;
            }
        }
    }

    private void Wake()
    {
        ulong one = 1;
        Libc.Write(_cancelFd, (byte*)&one, sizeof(ulong));
    }
}
