using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Linux;

/// <summary>
/// Waits for processes to exit without a sleep loop: one background thread blocks in
/// epoll_wait(2) on every pidfd that someone is waiting for (a pidfd becomes readable once its
/// process exits).
/// </summary>
/// <remarks>
/// <para>Each distinct pidfd is registered once (EPOLLIN | EPOLLONESHOT), however many waits share
/// it, and removed (EPOLL_CTL_DEL) once its process has exited or its last wait was cancelled,
/// before that wait lets go of its reference to the pidfd: a registration never outlives the
/// descriptor number it names. Adding or cancelling a wait is O(1), and only memory bounds how many
/// there are (poll(2), by contrast, refuses more descriptors than RLIMIT_NOFILE).</para>
/// <para>The watcher is made by the first wait. If that fails (EMFILE, say: the epoll descriptor,
/// or the two descriptors the runtime needs to start a thread), that call throws and the next one
/// tries again. epoll_wait can only fail once its descriptor is no longer ours (closed
/// or replaced by someone else): then every pending wait faults with an <see cref="OsException"/>
/// naming epoll_wait and the errno, the thread ends, and the next wait makes a new watcher. The old
/// descriptor number is left alone, since it may belong to someone else by then.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class PidfdExitWatcher
{
    /// <summary>The name of the watcher's thread (the kernel shows its first 15 bytes, "OsKill pidfd ex").</summary>
    internal const string ThreadName = "OsKill pidfd exit watcher";

    private const int EventsPerWait = 64;

    private static readonly object s_gate = new();
    private static PidfdExitWatcher? s_current;

    private readonly object _gate = new();
    private readonly int _epollFd;
    private readonly Dictionary<int, Watch> _byFd = [];
    private readonly Dictionary<ulong, Watch> _byId = [];
    private ulong _lastId;
    private bool _failed;

    private PidfdExitWatcher(int epollFd) => _epollFd = epollFd;

    /// <summary>True when the process behind the pidfd has exited (zombie or reaped).</summary>
    /// <remarks>
    /// A poll interrupted by a signal handler (EINTR: .NET's own SIGCHLD handling, say) checked
    /// nothing, and is made again, as FdWait and the watcher do: it is not an error of the check.
    /// </remarks>
    internal static unsafe bool HasExited(SafeHandle pidfd)
    {
        using var lease = SafeHandleLease.Acquire(pidfd);
        var poll = new Libc.PollFd { Fd = lease.FileDescriptor, Events = Libc.POLLIN };
        while (true)
        {
            int ready = Libc.Poll(&poll, 1, 0);
            if (ready >= 0)
            {
                return ready > 0;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw OsException.FromErrno(errno, "poll", $"cannot check whether the process of {pidfd} has exited", (pidfd as SafePidfdHandle)?.Pid, null);
            }
        }
    }

    /// <summary>
    /// A task that completes when the process behind <paramref name="pidfd"/> exits, or is cancelled
    /// with <paramref name="cancellationToken"/>. The wait holds a reference to the pidfd until it ends.
    /// </summary>
    /// <exception cref="OsException">The watcher cannot be made (epoll_create1, or its thread cannot start for want of descriptors), or the pidfd cannot be watched (epoll_ctl); the message names the pid.</exception>
    internal static Task WaitForExitAsync(SafeHandle pidfd, CancellationToken cancellationToken)
    {
        if (HasExited(pidfd))
        {
            return Task.CompletedTask;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // A cancelled task, as Process.WaitForExitAsync gives, not an exception from the call.
            return Task.FromCanceled(cancellationToken);
        }

        Waiter? waiter;
        do
        {
            // Null only from a watcher that has just failed, which has already made way for the next.
            waiter = Current(pidfd).Add(pidfd);
        }
        while (waiter is null);

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Watcher.SetCancellation(waiter, cancellationToken);
        }

        return waiter.Completion.Task;
    }

    /// <summary>The running watcher, made now if there is none (the first wait, or after a failure).</summary>
    /// <exception cref="OsException">
    /// epoll_create1 failed, or the watcher's thread could not start because the process is out of
    /// descriptors (EMFILE, ENFILE); nothing is kept, so the next call tries again. The message names
    /// <paramref name="pidfd"/>, the wait that needed the watcher.
    /// </exception>
    private static PidfdExitWatcher Current(SafeHandle pidfd)
    {
        PidfdExitWatcher? current = Volatile.Read(ref s_current);
        if (current is not null)
        {
            return current;
        }

        lock (s_gate)
        {
            if (s_current is not null)
            {
                return s_current;
            }

            int? pid = (pidfd as SafePidfdHandle)?.Pid;
            int epollFd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
            if (epollFd < 0)
            {
                throw OsException.FromErrno(
                    Marshal.GetLastPInvokeError(),
                    "epoll_create1",
                    $"cannot wait for the exit of {pidfd}: the epoll instance that waits for process exits cannot be created; the next wait will try again",
                    pid,
                    null);
            }

            var watcher = new PidfdExitWatcher(epollFd);
            try
            {
                new Thread(watcher.Run) { IsBackground = true, Name = ThreadName }.Start();
            }
            catch (OutOfMemoryException) when (DescriptorShortage() is int errno)
            {
                // The runtime reports any failure to start a thread as OutOfMemoryException; on
                // Linux it needs two descriptors for a moment (a pipe) to start one, and with fewer
                // free that is what failed. Say so, as the errno it is.
                Libc.Close(epollFd);
                throw OsException.FromErrno(
                    errno,
                    "Thread.Start",
                    $"cannot wait for the exit of {pidfd}: the thread that waits for process exits cannot be started (the runtime needs 2 free descriptors to start a thread, and reported OutOfMemoryException); the next wait will try again",
                    pid,
                    null);
            }
            catch
            {
                Libc.Close(epollFd);
                throw;
            }

            Volatile.Write(ref s_current, watcher);
            return watcher;
        }
    }

    /// <summary>
    /// EMFILE or ENFILE when two descriptors cannot be made now (so that a thread cannot start);
    /// null when they can, or when making them fails for another reason.
    /// </summary>
    private static int? DescriptorShortage()
    {
        int first = Libc.EventFd(0, Libc.EFD_CLOEXEC);
        int second = first < 0 ? -1 : Libc.EventFd(0, Libc.EFD_CLOEXEC);
        int errno = second < 0 ? Marshal.GetLastPInvokeError() : 0;
        foreach (int fd in new[] { first, second })
        {
            if (fd >= 0)
            {
                Libc.Close(fd);
            }
        }

        return errno is Errno.EMFILE or Errno.ENFILE ? errno : null;
    }

    /// <summary>
    /// Adds a waiter for <paramref name="pidfd"/>, registering the pidfd with epoll if no one waits
    /// for it yet. Null if this watcher has failed.
    /// </summary>
    private Waiter? Add(SafeHandle pidfd)
    {
        bool added = false;
        bool handedOver = false;
        try
        {
            pidfd.DangerousAddRef(ref added);
            lock (_gate)
            {
                if (_failed)
                {
                    return null;
                }

                int fd = (int)pidfd.DangerousGetHandle();
                if (!_byFd.TryGetValue(fd, out Watch? watch))
                {
                    watch = new Watch(++_lastId, fd);
                    int errno = Control(Libc.EPOLL_CTL_ADD, fd, watch.Id);
                    if (errno != 0)
                    {
                        throw OsException.FromErrno(errno, "epoll_ctl", $"cannot watch {pidfd} for the exit of its process", (pidfd as SafePidfdHandle)?.Pid, null);
                    }

                    _byFd.Add(fd, watch);
                    _byId.Add(watch.Id, watch);
                }

                var waiter = new Waiter(this, pidfd, watch);
                watch.Waiters.Add(waiter);
                handedOver = true;
                return waiter;
            }
        }
        finally
        {
            if (added && !handedOver)
            {
                pidfd.DangerousRelease();
            }
        }
    }

    private void SetCancellation(Waiter waiter, CancellationToken cancellationToken)
    {
        // Runs at once, on this thread, if the token is already cancelled.
        CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
            static (state, token) => ((Waiter)state!).Watcher.Cancel((Waiter)state!, token),
            waiter);
        lock (_gate)
        {
            if (!waiter.Done)
            {
                waiter.Registration = registration;
                return;
            }
        }

        registration.Dispose();
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (waiter.Done)
            {
                return;
            }

            waiter.Done = true;
            waiter.Watch.Waiters.Remove(waiter);
            if (waiter.Watch.Waiters.Count == 0)
            {
                // Still holding this waiter's reference, so the number still names its pidfd.
                Unwatch(waiter.Watch);
            }
        }

        waiter.Pidfd.DangerousRelease();
        waiter.Completion.TrySetCanceled(cancellationToken);
    }

    /// <summary>The thread. No exception leaves it: whatever ends the loop fails the pending waits instead.</summary>
    private void Run()
    {
        Func<Exception> failure;
        try
        {
            int errno = WaitForEvents();
            failure = () => OsException.FromErrno(
                errno,
                "epoll_wait",
                $"the exit watcher's epoll descriptor {_epollFd} is no longer usable (closed or replaced by someone else), so the wait failed; the next wait starts a new watcher",
                null,
                null);
        }
#pragma warning disable CA1031 // An exception escaping this thread would end the host process: it goes to the waits instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = () => new OsException($"The exit watcher failed, so the wait failed; the next wait starts a new watcher: {e.Message}", e);
        }

        FailAll(failure);
    }

    /// <summary>Blocks in epoll_wait and completes the waits of every pidfd that becomes readable. Returns the errno of a failure other than EINTR.</summary>
    private unsafe int WaitForEvents()
    {
        byte* events = stackalloc byte[EventsPerWait * Libc.EpollEventSize];
        while (true)
        {
            int n = Libc.EpollWait(_epollFd, events, EventsPerWait, -1);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                return errno;
            }

            for (int i = 0; i < n; i++)
            {
                Complete(Libc.EpollEventData(events, i));
            }
        }
    }

    private void Complete(ulong id)
    {
        Watch? watch;
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out watch))
            {
                return; // its last wait was cancelled after the event was queued
            }

            Unwatch(watch);
            foreach (Waiter waiter in watch.Waiters)
            {
                waiter.Done = true;
            }
        }

        // Done under the lock: no one else touches these waiters now.
        foreach (Waiter waiter in watch.Waiters)
        {
            waiter.Pidfd.DangerousRelease();
            waiter.Registration.Dispose();
            waiter.Completion.TrySetResult();
        }
    }

    /// <summary>Fails every pending wait, after making way for a new watcher.</summary>
    private void FailAll(Func<Exception> failure)
    {
        lock (s_gate)
        {
            if (s_current == this)
            {
                Volatile.Write(ref s_current, null);
            }
        }

        var pending = new List<Waiter>();
        lock (_gate)
        {
            _failed = true;
            foreach (Watch watch in _byId.Values)
            {
                foreach (Waiter waiter in watch.Waiters)
                {
                    waiter.Done = true;
                    pending.Add(waiter);
                }
            }

            _byFd.Clear();
            _byId.Clear();
        }

        foreach (Waiter waiter in pending)
        {
            waiter.Pidfd.DangerousRelease();
            waiter.Registration.Dispose();
            waiter.Completion.TrySetException(failure());
        }
    }

    /// <summary>Forgets a watch and removes its registration; under <see cref="_gate"/>, with the pidfd still referenced.</summary>
    private void Unwatch(Watch watch)
    {
        _byFd.Remove(watch.Fd);
        _byId.Remove(watch.Id);

        // A failure here leaves at worst a one-shot registration that fires once, for an id that
        // is no longer known (ignored), and that the kernel drops when the descriptor is closed.
        // Nothing waits on it any more, so there is no one to report it to.
        _ = Control(Libc.EPOLL_CTL_DEL, watch.Fd, watch.Id);
    }

    /// <summary>epoll_ctl for a pidfd's readability, once; 0 or the errno.</summary>
    private unsafe int Control(int op, int fd, ulong id)
    {
        byte* change = stackalloc byte[Libc.EpollEventSize];
        Libc.SetEpollEvent(change, 0, Libc.EPOLLIN | Libc.EPOLLONESHOT, id);
        return Libc.EpollCtl(_epollFd, op, fd, change) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>One registered pidfd and everyone who waits for it.</summary>
    private sealed class Watch(ulong id, int fd)
    {
        internal ulong Id { get; } = id;

        internal int Fd { get; } = fd;

        internal HashSet<Waiter> Waiters { get; } = [];
    }

    private sealed class Waiter(PidfdExitWatcher watcher, SafeHandle pidfd, Watch watch)
    {
        internal PidfdExitWatcher Watcher { get; } = watcher;

        internal SafeHandle Pidfd { get; } = pidfd;

        internal Watch Watch { get; } = watch;

        internal TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The cancellation registration; set and read under the watcher's lock until <see cref="Done"/>.</summary>
        internal CancellationTokenRegistration Registration { get; set; }

        /// <summary>Completed, cancelled or failed: set under the watcher's lock by whoever ends the wait.</summary>
        internal bool Done { get; set; }
    }
}
