using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Interop;

namespace OsKill.Posix;

/// <summary>
/// How kill, killpg and raise work on Linux, macOS and FreeBSD: one C library call each, with the
/// kernel's errno turned into a typed exception. No range checks of our own and no retries.
/// </summary>
internal static class UnixKill
{
    internal static void Kill(int pid, int sig)
    {
        int errno = Libc.Kill(pid, sig) == 0 ? 0 : Marshal.GetLastPInvokeError();
        OsKillEventSource.Log.Kill(pid, sig, errno);
        if (errno != 0)
        {
            throw OsException.FromErrno(errno, "kill", OsException.Sending(sig, DescribeKillTarget(pid)), pid, sig);
        }
    }

    internal static void KillPg(int pgid, int sig)
    {
        int errno;
        if (pgid == 1)
        {
            // Decision: the C library implements killpg(pgrp) as kill(-pgrp), and kill(-1) is the
            // broadcast to every process the caller may signal. No system call can address
            // process group 1 alone, so we refuse rather than signal processes nobody named.
            errno = Errno.EINVAL;
            OsKillEventSource.Log.KillPg(pgid, sig, errno);
            throw new OsException(
                errno,
                $"[Errno {errno}] Invalid argument: refusing to send {OsException.SignalText(sig)} to process group 1 (killpg): " +
                "the C library would turn it into kill(-1), a broadcast to every process the caller may signal. " +
                "Call Os.Kill(-1, sig) if that is what you mean.")
            {
                Operation = "killpg",
                Pid = pgid,
                Signal = sig,
                OsMessage = Marshal.GetPInvokeErrorMessage(errno),
            };
        }

        errno = Libc.KillPg(pgid, sig) == 0 ? 0 : Marshal.GetLastPInvokeError();
        OsKillEventSource.Log.KillPg(pgid, sig, errno);
        if (errno != 0)
        {
            string target = pgid == 0
                ? "the caller's process group"
                : "process group " + pgid.ToString(CultureInfo.InvariantCulture);
            throw OsException.FromErrno(errno, "killpg", OsException.Sending(sig, target), pgid, sig);
        }
    }

    internal static void Raise(int sig)
    {
        int errno = Libc.Raise(sig) == 0 ? 0 : Marshal.GetLastPInvokeError();
        OsKillEventSource.Log.RaiseSignal(sig, errno);
        if (errno != 0)
        {
            throw OsException.FromErrno(errno, "raise", OsException.Sending(sig, "the calling thread"), null, sig);
        }
    }

    [SupportedOSPlatform("linux")]
    internal static void Queue(int pid, int sig, int value)
    {
        int errno = Libc.SigQueue(pid, sig, (nint)(uint)value) == 0 ? 0 : Marshal.GetLastPInvokeError();
        OsKillEventSource.Log.Kill(pid, sig, errno);
        if (errno != 0)
        {
            throw OsException.FromErrno(errno, "sigqueue", OsException.Sending(sig, DescribeKillTarget(pid)), pid, sig);
        }
    }

    /// <summary>Says in words whom kill(pid) addresses, for error messages.</summary>
    internal static string DescribeKillTarget(int pid) => pid switch
    {
        > 0 => "pid " + pid.ToString(CultureInfo.InvariantCulture),
        0 => "pid 0 (the caller's process group)",
        -1 => "pid -1 (every process the caller may signal)",
        _ => $"pid {pid.ToString(CultureInfo.InvariantCulture)} (process group {(-(long)pid).ToString(CultureInfo.InvariantCulture)})",
    };
}
