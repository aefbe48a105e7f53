using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace OsKill.Cli;

/// <summary>
/// What oskill reads about other processes on Linux, for NAME targets, <c>-r</c>, <c>-d</c> and
/// PID:INODE targets: their names, owners and signal masks in /proc, and the inode of a pidfd.
/// A process that vanishes while it is read is no error here: the reads return null, and the
/// caller decides what that means.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class LinuxProcesses
{
    /// <summary>The longest name the kernel keeps (TASK_COMM_LEN less the NUL): a longer NAME never matches.</summary>
    internal const int MaxNameBytes = 15;

    /// <summary>The fields of /proc/PID/status that hold signal masks, in the file's order, with util-linux's labels for <c>-d</c>.</summary>
    internal static readonly (string Key, string Label)[] MaskFields =
    [
        ("SigPnd", "Pending (thread)"),
        ("ShdPnd", "Pending (process)"),
        ("SigBlk", "Blocked"),
        ("SigIgn", "Ignored"),
        ("SigCgt", "Caught"),
    ];

    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxUid = 0x8;
    private const uint StatxIno = 0x100;

    // struct statx is 256 bytes on every architecture: stx_uid at 20, stx_ino at 32.
    private const int StatxSize = 256;
    private const int StatxUidOffset = 20;
    private const int StatxInoOffset = 32;

    // struct statfs starts with f_type, a C long; the struct is 120 bytes on 64-bit Linux.
    private const int StatfsSize = 256;
    private const long PidfsMagic = 0x50494446;

    /// <summary>
    /// The processes whose command name (/proc/PID/comm) is exactly <paramref name="name"/>, in
    /// ascending pid order, oskill's own process excepted. Unless <paramref name="allUsers"/>, only
    /// those owned by the caller's real uid (the owner of /proc/PID, as util-linux compares it).
    /// </summary>
    internal static List<int> Named(string name, bool allUsers)
    {
        byte[] wanted = Encoding.UTF8.GetBytes(name);
        uint? uid = allUsers ? null : Getuid();
        var pids = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && pid != Environment.ProcessId
                && HasName(pid, wanted, uid))
            {
                pids.Add(pid);
            }
        }

        pids.Sort();
        return pids;
    }

    /// <summary>Whether process <paramref name="pid"/> has this name and, unless <paramref name="allUsers"/>, the caller's uid, now.</summary>
    internal static bool HasName(int pid, string name, bool allUsers) =>
        HasName(pid, Encoding.UTF8.GetBytes(name), allUsers ? null : Getuid());

    /// <summary>The set of signals the process has a handler for (SigCgt, bit N-1 for signal N), or null once it is gone.</summary>
    internal static ulong? Caught(int pid)
    {
        string? status = ReadStatus(pid, out _);
        return status is not null && TryReadMask(status, "SigCgt", out ulong mask) ? mask : null;
    }

    /// <summary>/proc/PID/status, or null with the OS's reason ("No such file or directory").</summary>
    internal static string? ReadStatus(int pid, out string? error)
    {
        error = null;
        try
        {
            return File.ReadAllText($"/proc/{pid}/status");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            error = "No such file or directory";
        }
        catch (UnauthorizedAccessException)
        {
            error = "Permission denied";
        }
        catch (IOException e)
        {
            error = Sender.OneLine(e.Message);
        }

        return null;
    }

    /// <summary>
    /// The mask in the line "<paramref name="key"/>:\tHEX" of a status file. False if there is no
    /// such line or its value is not hexadecimal.
    /// </summary>
    internal static bool TryReadMask(string status, string key, out ulong mask)
    {
        mask = 0;
        foreach (string line in status.Split('\n'))
        {
            if (line.Length > key.Length && line.StartsWith(key, StringComparison.Ordinal) && line[key.Length] == ':')
            {
                return ulong.TryParse(line.AsSpan(key.Length + 1).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mask);
            }
        }

        return false;
    }

    /// <summary>
    /// The inode number of a pidfd (st_ino), which names one process for the life of the system:
    /// what a PID:INODE target gives. Null with the reason where the kernel has no pidfs (before
    /// Linux 6.9 every pidfd shares one anonymous inode, which names nothing).
    /// </summary>
    internal static ulong? PidfdInode(SafeHandle pidfd, out string? error)
    {
        error = null;
        bool added = false;
        try
        {
            pidfd.DangerousAddRef(ref added);
            int fd = (int)pidfd.DangerousGetHandle();
            Span<byte> statfs = stackalloc byte[StatfsSize];
            if (Fstatfs(fd, statfs) != 0)
            {
                error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
                return null;
            }

            long type = IntPtr.Size == 8 ? MemoryMarshal.Read<long>(statfs) : MemoryMarshal.Read<int>(statfs);
            if (type != PidfsMagic)
            {
                error = "PID:INODE needs pidfs (Linux 6.9 or later): on this kernel every pidfd has the same inode";
                return null;
            }

            Span<byte> statx = stackalloc byte[StatxSize];
            if (Statx(fd, string.Empty, AtEmptyPath, StatxIno, statx) != 0)
            {
                error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
                return null;
            }

            return MemoryMarshal.Read<ulong>(statx[StatxInoOffset..]);
        }
        finally
        {
            if (added)
            {
                pidfd.DangerousRelease();
            }
        }
    }

    private static bool HasName(int pid, byte[] wanted, uint? uid)
    {
        if (uid is uint mine && Owner(pid) != mine)
        {
            return false;
        }

        byte[] comm;
        try
        {
            comm = File.ReadAllBytes($"/proc/{pid}/comm");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone, or hidden (hidepid)
        }

        ReadOnlySpan<byte> name = comm;
        if (name.EndsWith("\n"u8))
        {
            name = name[..^1];
        }

        return name.SequenceEqual(wanted);
    }

    // The owner of /proc/PID: the process's effective uid (root for one that is not dumpable).
    private static uint? Owner(int pid)
    {
        Span<byte> statx = stackalloc byte[StatxSize];
        return Statx(AtFdCwd, $"/proc/{pid}", 0, StatxUid, statx) == 0
            ? MemoryMarshal.Read<uint>(statx[StatxUidOffset..])
            : null;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    private static partial int Fstatfs(int fd, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint Getuid();
}
