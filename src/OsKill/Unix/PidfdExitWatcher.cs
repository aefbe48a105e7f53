using System.Runtime.InteropServices;
using OsKill.Interop;

namespace OsKill.Unix;

/// <summary>
/// Waits for processes to exit without a sleep loop: one background thread blocks in poll(2) on
/// every pidfd that someone is waiting for (a pidfd polls readable once its process exits), plus an
/// eventfd that wakes it when the set changes.
/// </summary>
internal sealed class PidfdExitWatcher
{
    private static readonly Lazy<PidfdExitWatcher> s_instance = new(() => new PidfdExitWatcher());

    private readonly object _gate = new();
    private readonly Dictionary<long, Waiter> _waiters = [];
    private readonly int _wakeFd;
    private long _nextId;

    private PidfdExitWatcher()
    {
        _wakeFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new OsException(errno, $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}: cannot create the eventfd that the exit watcher needs (eventfd)");
        }

        var thread = new Thread(Run) { IsBackground = true, Name = "OsKill pidfd exit watcher" };
        thread.Start();
    }

    internal static PidfdExitWatcher Instance => s_instance.Value;

    /// <summary>True when the process behind the pidfd has exited (zombie or reaped).</summary>
    internal static unsafe bool HasExited(SafeHandle pidfd)
    {
        bool added = false;
        try
        {
            pidfd.DangerousAddRef(ref added);
            var poll = new Libc.PollFd { Fd = (int)pidfd.DangerousGetHandle(), Events = Libc.POLLIN };
            int ready = Libc.Poll(&poll, 1, 0);
            if (ready < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new OsException(errno, $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}: cannot poll pidfd {poll.Fd} (poll)");
            }

            return ready > 0;
        }
        finally
        {
            if (added)
            {
                pidfd.DangerousRelease();
            }
        }
    }

    /// <summary>A task that completes when the process behind <paramref name="pidfd"/> exits.</summary>
    internal Task WaitForExitAsync(SafeHandle pidfd, CancellationToken cancellationToken)
    {
        if (HasExited(pidfd))
        {
            return Task.CompletedTask;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter(pidfd);
        long id;
        lock (_gate)
        {
            id = ++_nextId;
            bool added = false;
            pidfd.DangerousAddRef(ref added);
            _waiters[id] = waiter;
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(() =>
            {
                if (Remove(id))
                {
                    waiter.Completion.TrySetCanceled(cancellationToken);
                }
            });
        }

        Wake();
        return waiter.Completion.Task;
    }

    private bool Remove(long id)
    {
        Waiter? waiter;
        lock (_gate)
        {
            if (!_waiters.Remove(id, out waiter))
            {
                return false;
            }
        }

        waiter.Pidfd.DangerousRelease();
        waiter.Registration.Dispose();
        Wake();
        return true;
    }

    private unsafe void Wake()
    {
        ulong one = 1;
        _ = Libc.Write(_wakeFd, &one, sizeof(ulong));
    }

    private unsafe void Run()
    {
        var ids = new List<long>();
        var fds = new List<Libc.PollFd>();
        while (true)
        {
            ids.Clear();
            fds.Clear();
            fds.Add(new Libc.PollFd { Fd = _wakeFd, Events = Libc.POLLIN });
            lock (_gate)
            {
                foreach ((long id, Waiter waiter) in _waiters)
                {
                    ids.Add(id);
                    fds.Add(new Libc.PollFd { Fd = (int)waiter.Pidfd.DangerousGetHandle(), Events = Libc.POLLIN });
                }
            }

            Libc.PollFd[] array = [.. fds];
            fixed (Libc.PollFd* p = array)
            {
                if (Libc.Poll(p, (nuint)array.Length, -1) < 0)
                {
                    continue; // EINTR
                }
            }

            if (array[0].REvents != 0)
            {
                ulong count;
                _ = Libc.Read(_wakeFd, &count, sizeof(ulong));
            }

            for (int i = 1; i < array.Length; i++)
            {
                if (array[i].REvents != 0)
                {
                    Complete(ids[i - 1]);
                }
            }
        }
    }

    private void Complete(long id)
    {
        Waiter? waiter;
        lock (_gate)
        {
            if (!_waiters.Remove(id, out waiter))
            {
                return;
            }
        }

        waiter.Pidfd.DangerousRelease();
        waiter.Registration.Dispose();
        waiter.Completion.TrySetResult();
    }

    private sealed class Waiter(SafeHandle pidfd)
    {
        internal SafeHandle Pidfd { get; } = pidfd;

        internal TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal CancellationTokenRegistration Registration { get; set; }
    }
}
