using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Linux;

/// <summary>
/// How pidfds work (Linux 5.3+): pidfd_open names one process for as long as the descriptor is
/// open, and pidfd_send_signal signals exactly that process, or fails with ESRCH once it has been
/// reaped, even if its pid has been handed to a new process. The public entry points reach it
/// through <see cref="PlatformServices"/>, which refuses every other OS.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class Pidfd
{
    internal static SafePidfdHandle Open(int pid, uint flags)
    {
        int fd = Libc.PidfdOpen(pid, flags);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string target = "pid " + pid.ToString(CultureInfo.InvariantCulture);
            if (errno == Errno.ENOSYS_Linux)
            {
                throw new OsException(
                    errno,
                    $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}: cannot open a pidfd for {target}: pidfd_open needs Linux 5.3 or later.")
                {
                    Operation = "pidfd_open",
                    Pid = pid,
                    OsMessage = Marshal.GetPInvokeErrorMessage(errno),
                };
            }

            throw OsException.FromErrno(errno, "pidfd_open", "cannot open a pidfd for " + target, pid, null);
        }

        return new SafePidfdHandle(fd, pid);
    }

    internal static void SendSignal(SafeHandle pidfd, int sig, uint flags, string paramName)
    {
        int? pid = (pidfd as SafePidfdHandle)?.Pid;
        if (pidfd is Microsoft.Win32.SafeHandles.SafeProcessHandle)
        {
            // On Unix .NET's SafeProcessHandle holds a runtime-internal handle value, not a file
            // descriptor: treating it as one would signal whatever that descriptor number names.
            throw new ArgumentException(
                $"Cannot send {OsException.SignalText(sig)} through a SafeProcessHandle on {PlatformServices.Name}: " +
                "there it holds no file descriptor, let alone a pidfd. Open a pidfd with Os.PidfdOpen(process.Id) instead.",
                paramName);
        }

        using var lease = SafeHandleLease.Acquire(pidfd);
        int fd = lease.FileDescriptor;
        int errno = Send(fd, pid ?? -1, sig, flags);
        if (errno != 0)
        {
            string target = pid is int p
                ? $"pidfd {fd.ToString(CultureInfo.InvariantCulture)} (pid {p.ToString(CultureInfo.InvariantCulture)})"
                : $"pidfd {fd.ToString(CultureInfo.InvariantCulture)}";
            throw OsException.FromErrno(errno, "pidfd_send_signal", OsException.Sending(sig, target), pid, sig);
        }
    }

    /// <summary>
    /// pidfd_send_signal on a descriptor the caller holds a reference on, traced in the event
    /// source: the one place a signal goes through a pidfd. Returns 0 or the errno.
    /// </summary>
    internal static int Send(int fd, int pid, int sig, uint flags = 0)
    {
        int errno = Libc.PidfdSendSignal(fd, sig, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
        OsKillEventSource.Log.PidfdSendSignal(fd, pid, sig, errno);
        return errno;
    }
}
