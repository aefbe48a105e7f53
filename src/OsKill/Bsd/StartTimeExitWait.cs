using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Interop;
using OsKill.Linux;

namespace OsKill.Bsd;

/// <summary>
/// Waits for the exit of the process a <see cref="StartTimeHandle"/> names, without a polling
/// interval: an exit watch is registered on the pid first (kqueue EVFILT_PROC NOTE_EXIT on macOS
/// and FreeBSD; a pidfd on Linux), then the start time is checked again. If it still matches, the
/// watch is on our process; if not, our process has already exited.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
[SupportedOSPlatform("freebsd")]
internal static class StartTimeExitWait
{
    // PlatformServices.WaitForStartTimeExitAsync chooses the wait for the OS this process runs on.

    [SupportedOSPlatform("linux")]
    internal static async Task WaitWithPidfdAsync(StartTimeHandle handle, CancellationToken cancellationToken)
    {
        int fd = Libc.PidfdOpen(handle.Pid, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ESRCH)
            {
                return;
            }

            throw OsException.FromErrno(errno, "pidfd_open", $"cannot wait for {handle}", handle.Pid, null);
        }

        using var pidfd = new SafePidfdHandle(fd, handle.Pid);
        if (handle.HasExited)
        {
            return;
        }

        await PidfdExitWatcher.WaitForExitAsync(pidfd, cancellationToken).ConfigureAwait(false);
    }

    /// <param name="handle">The process.</param>
    /// <param name="keventSize">The size of one struct kevent on this OS: <see cref="Libc.KeventSizeMacOS"/> or <see cref="Libc.KeventSizeFreeBsd"/>.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    [SupportedOSPlatform("macos")]
    [SupportedOSPlatform("freebsd")]
    internal static unsafe Task WaitWithKqueueAsync(StartTimeHandle handle, int keventSize, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int kq = Libc.Kqueue();
        if (kq < 0)
        {
            throw OsException.FromErrno(Marshal.GetLastPInvokeError(), "kqueue", $"cannot wait for {handle}", handle.Pid, null);
        }

        int* pipe = stackalloc int[2];
        bool handedOver = false;
        pipe[0] = pipe[1] = -1;
        try
        {
            if (!Register(kq, (nuint)handle.Pid, Libc.EVFILT_PROC, Libc.NOTE_EXIT, out int errno))
            {
                if (errno == Errno.ESRCH)
                {
                    return Task.CompletedTask; // gone already
                }

                throw OsException.FromErrno(errno, "kevent", $"cannot watch {handle} for its exit", handle.Pid, null);
            }

            if (handle.HasExited)
            {
                return Task.CompletedTask; // the watch may be on a stranger; ours has gone
            }

            if (Libc.Pipe(pipe) != 0)
            {
                pipe[0] = pipe[1] = -1;
                throw OsException.FromErrno(Marshal.GetLastPInvokeError(), "pipe", $"cannot make the cancellation pipe for a wait on {handle}", handle.Pid, null);
            }

            if (!Register(kq, (nuint)pipe[0], Libc.EVFILT_READ, 0, out errno))
            {
                throw OsException.FromErrno(errno, "kevent", $"cannot watch the cancellation pipe of a wait on {handle}", handle.Pid, null);
            }

            int readEnd = pipe[0], writeEnd = pipe[1];
            handedOver = true;
            return Task.Factory.StartNew(
                () => Block(kq, readEnd, writeEnd, handle, keventSize, cancellationToken),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }
        finally
        {
            if (!handedOver)
            {
                Libc.Close(kq);
                if (pipe[0] >= 0)
                {
                    Libc.Close(pipe[0]);
                    Libc.Close(pipe[1]);
                }
            }
        }
    }

    /// <summary>Blocks in kevent until the exit or the cancellation pipe fires; closes the descriptors.</summary>
    [SupportedOSPlatform("macos")]
    [SupportedOSPlatform("freebsd")]
    private static unsafe void Block(int kq, int readEnd, int writeEnd, StartTimeHandle handle, int keventSize, CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
            static state =>
            {
                byte one = 1;
                Libc.Write((int)state!, &one, 1);
            },
            writeEnd);
        try
        {
            int stride = keventSize;
            byte* events = stackalloc byte[stride * 2];
            while (true)
            {
                int n = Libc.KeventCall(kq, null, 0, events, 2, null);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    throw OsException.FromErrno(errno, "kevent", $"cannot wait for {handle}", handle.Pid, null);
                }

                for (int i = 0; i < n; i++)
                {
                    var e = (Libc.Kevent*)(events + (i * stride));
                    if (e->Filter == Libc.EVFILT_PROC)
                    {
                        return;
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            registration.Dispose();
            Libc.Close(readEnd);
            Libc.Close(writeEnd);
            Libc.Close(kq);
        }
    }

    private static unsafe bool Register(int kq, nuint ident, short filter, uint fflags, out int errno)
    {
        byte* change = stackalloc byte[64];
        new Span<byte>(change, 64).Clear();
        var c = (Libc.Kevent*)change;
        c->Ident = ident;
        c->Filter = filter;
        c->Flags = Libc.EV_ADD | Libc.EV_ONESHOT;
        c->FFlags = fflags;
        errno = 0;
        if (Libc.KeventCall(kq, change, 1, null, 0, null) == 0)
        {
            return true;
        }

        errno = Marshal.GetLastPInvokeError();
        return false;
    }
}
