using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Linux;

namespace OsKill.Bsd;

/// <summary>
/// When a process started, as the kernel records it: what tells a process apart from a later one
/// that got the same pid. Read from proc_pidinfo on macOS, sysctl kern.proc.pid on FreeBSD, and
/// /proc/PID/stat on Linux (where <see cref="ProcessHandle"/> uses a pidfd instead; the Linux reader
/// lets the tests exercise the start-time handle against the real kernel).
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
[SupportedOSPlatform("freebsd")]
internal static class ProcessStartTime
{
    private const int SZOMB = 5; // macOS and FreeBSD

    /// <summary>What was read: an opaque start time (comparable only with another read of the same OS), and whether the process is a zombie.</summary>
    internal readonly record struct Reading(ulong StartTime, bool Zombie);

    // Each reader returns 0, or an errno: ESRCH when there is no such process. The one for the OS
    // this process runs on is chosen by PlatformServices.ReadStartTime.

    [SupportedOSPlatform("macos")]
    internal static unsafe int ReadMacOS(int pid, out Reading reading)
    {
        reading = default;
        byte* info = stackalloc byte[Libc.ProcBsdInfoSize];
        int n = Libc.ProcPidInfo(pid, Libc.PROC_PIDTBSDINFO, 0, info, Libc.ProcBsdInfoSize);
        if (n <= 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == 0 ? Errno.ESRCH : errno;
        }

        var bytes = new ReadOnlySpan<byte>(info, Libc.ProcBsdInfoSize);
        CheckLayout(n == Libc.ProcBsdInfoSize && BinaryPrimitives.ReadInt32LittleEndian(bytes[Libc.ProcBsdInfoPidOffset..]) == pid, pid, "proc_pidinfo(PROC_PIDTBSDINFO)");
        ulong seconds = BinaryPrimitives.ReadUInt64LittleEndian(bytes[Libc.ProcBsdInfoStartOffset..]);
        ulong micros = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(Libc.ProcBsdInfoStartOffset + 8)..]);
        bool zombie = BinaryPrimitives.ReadUInt32LittleEndian(bytes[Libc.ProcBsdInfoStatusOffset..]) == SZOMB;
        reading = new Reading((seconds * 1_000_000) + micros, zombie);
        return 0;
    }

    /// <exception cref="PlatformNotSupportedException">A 32-bit process, whose record layout is not known.</exception>
    [SupportedOSPlatform("freebsd")]
    internal static unsafe int ReadFreeBsd(int pid, out Reading reading)
    {
        reading = default;
        if (IntPtr.Size != 8)
        {
            throw new PlatformNotSupportedException($"Cannot read the start time of pid {pid}: the kinfo_proc layout is known for 64-bit FreeBSD only.");
        }

        int* name = stackalloc int[] { Libc.CTL_KERN, Libc.KERN_PROC, Libc.KERN_PROC_PID, pid };
        byte* info = stackalloc byte[Libc.KinfoProcSize];
        nuint length = Libc.KinfoProcSize;
        if (Libc.Sysctl(name, 4, info, &length, null, 0) != 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        if (length == 0)
        {
            return Errno.ESRCH;
        }

        var bytes = new ReadOnlySpan<byte>(info, Libc.KinfoProcSize);
        CheckLayout(
            (int)length == Libc.KinfoProcSize
                && BinaryPrimitives.ReadInt32LittleEndian(bytes) == Libc.KinfoProcSize
                && BinaryPrimitives.ReadInt32LittleEndian(bytes[Libc.KinfoProcPidOffset..]) == pid,
            pid,
            "sysctl kern.proc.pid");
        ulong seconds = BinaryPrimitives.ReadUInt64LittleEndian(bytes[Libc.KinfoProcStartOffset..]);
        ulong micros = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(Libc.KinfoProcStartOffset + 8)..]);
        reading = new Reading((seconds * 1_000_000) + micros, bytes[Libc.KinfoProcStatOffset] == SZOMB);
        return 0;
    }

    [SupportedOSPlatform("linux")]
    internal static int ReadLinux(int pid, out Reading reading)
    {
        reading = default;
        byte[] buffer = new byte[512];
        int result = ProcFs.ReadStat("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat", ref buffer, out ProcFs.Stat stat);
        if (result < 0)
        {
            return result == -Errno.ENOENT ? Errno.ESRCH : -result;
        }

        reading = new Reading(stat.StartTime, stat.State is 'Z' or 'X' or 'x');
        return 0;
    }

    /// <summary>A record whose size or pid does not match is a layout this code does not know: refuse rather than misread it.</summary>
    private static void CheckLayout(bool matches, int pid, string source)
    {
        if (!matches)
        {
            throw new PlatformNotSupportedException(
                $"Cannot read the start time of pid {pid}: {source} returned a record whose layout this version of OsKill does not know ({PlatformServices.Name}, {RuntimeInformation.OSArchitecture}).");
        }
    }
}
