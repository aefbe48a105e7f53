using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Interop;

namespace OsKill.Linux;

/// <summary>
/// Small, allocation-light reads of /proc and cgroup files through open/pread/close, so that a
/// vanished process is an errno (ENOENT, ESRCH) rather than an exception: in a tree that is being
/// frozen and killed, processes vanish all the time and that is not an error.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class ProcFs
{

    /// <summary>What /proc/PID/stat says about a process (or a task, for /proc/PID/task/TID/stat).</summary>
    internal readonly record struct Stat(char State, int ParentPid, int Threads, ulong StartTime);

    /// <summary>
    /// Reads the whole file into <paramref name="buffer"/>, growing it as needed. Returns the
    /// length, or −errno when the file cannot be opened or read (−ENOENT once the process is gone).
    /// </summary>
    internal static unsafe int Read(string path, ref byte[] buffer)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC_Linux);
        if (fd < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }

        try
        {
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                nint n;
                fixed (byte* p = buffer)
                {
                    n = Libc.Pread(fd, p + total, (nuint)(buffer.Length - total), total);
                }

                if (n < 0)
                {
                    return -Marshal.GetLastPInvokeError();
                }

                if (n == 0)
                {
                    return total;
                }

                total += (int)n;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Parses /proc/PID/stat. The command name is in parentheses and may hold anything, so fields are counted from the last ')'.</summary>
    internal static bool TryParseStat(ReadOnlySpan<byte> text, out Stat stat)
    {
        stat = default;
        int close = text.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= text.Length)
        {
            return false;
        }

        // Fields after ") ": 3 state, 4 ppid, 5 pgrp, ... 20 num_threads, 21 itrealvalue, 22 starttime.
        ReadOnlySpan<byte> rest = text[(close + 2)..];
        char state = (char)rest[0];
        int field = 3;
        int ppid = 0, threads = 0;
        ulong start = 0;
        int i = 1;
        while (i < rest.Length && field < 22)
        {
            // Skip the space, then read one field.
            i++;
            field++;
            int begin = i;
            while (i < rest.Length && rest[i] != (byte)' ' && rest[i] != (byte)'\n')
            {
                i++;
            }

            ReadOnlySpan<byte> value = rest[begin..i];
            switch (field)
            {
                case 4:
                    ppid = (int)ParseLong(value);
                    break;
                case 20:
                    threads = (int)ParseLong(value);
                    break;
                case 22:
                    start = (ulong)ParseLong(value);
                    break;
            }
        }

        if (field < 22)
        {
            return false;
        }

        stat = new Stat(state, ppid, threads, start);
        return true;
    }

    /// <summary>Reads and parses /proc/PID/stat (or any stat path). Returns −errno, or 0 with the result.</summary>
    internal static int ReadStat(string path, ref byte[] buffer, out Stat stat)
    {
        int n = Read(path, ref buffer);
        if (n < 0)
        {
            stat = default;
            return n;
        }

        if (!TryParseStat(buffer.AsSpan(0, n), out stat))
        {
            // An empty read: the task went away while we read it.
            return -Errno.ENOENT;
        }

        return 0;
    }

    /// <summary>Appends the decimal numbers in a space- or newline-separated list (a children file, cgroup.procs).</summary>
    internal static void ParseNumbers(ReadOnlySpan<byte> text, List<int> into)
    {
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] < (byte)'0' || text[i] > (byte)'9'))
            {
                i++;
            }

            int begin = i;
            while (i < text.Length && text[i] >= (byte)'0' && text[i] <= (byte)'9')
            {
                i++;
            }

            if (i > begin)
            {
                into.Add((int)ParseLong(text[begin..i]));
            }
        }
    }

    /// <summary>
    /// A number from a "Name:\tvalue" line of /proc/PID/status (or /proc/PID/task/TID/status), such as
    /// "Tgid:" or "TracerPid:". Returns the value, or −errno: −ENOENT when the task is gone or the
    /// file has no such line.
    /// </summary>
    internal static int ReadStatusNumber(string path, ReadOnlySpan<byte> name, ref byte[] buffer)
    {
        int n = Read(path, ref buffer);
        if (n < 0)
        {
            return n;
        }

        return TryFindLine(buffer.AsSpan(0, n), name, out ReadOnlySpan<byte> value) && TryParseNumber(value.Trim((byte)'\t'), out int number)
            ? number
            : -Errno.ENOENT;
    }

    /// <summary>The thread group (process) that task <paramref name="tid"/> belongs to, from "Tgid:" in /proc/TID/status; −errno when it cannot be read.</summary>
    internal static int ThreadGroupOf(int tid)
    {
        byte[] buffer = new byte[2048];
        return ReadStatusNumber("/proc/" + tid.ToString(CultureInfo.InvariantCulture) + "/status", "Tgid:"u8, ref buffer);
    }

    /// <summary>
    /// The cgroup v2 path of a task (the "0::" line of /proc/PID/task/TID/cgroup, such as
    /// "/system.slice/x.service"), or null when it has none or is gone.
    /// </summary>
    internal static string? ReadCgroupV2Path(string path, ref byte[] buffer)
    {
        int n = Read(path, ref buffer);
        return n > 0 && TryFindLine(buffer.AsSpan(0, n), "0::"u8, out ReadOnlySpan<byte> value)
            ? System.Text.Encoding.UTF8.GetString(value)
            : null;
    }

    /// <summary>
    /// The directory of a cgroup v2 path (as /proc/PID/cgroup gives it) in the hierarchy mounted at
    /// <paramref name="mount"/>, whose root is <paramref name="mountRoot"/>; null when the path is
    /// outside what the mount shows.
    /// </summary>
    internal static string? CgroupDirectory(string mount, string mountRoot, string path)
    {
        string root = mountRoot.TrimEnd('/');
        return path == root || path.StartsWith(root + "/", StringComparison.Ordinal)
            ? mount.TrimEnd('/') + path[root.Length..]
            : null;
    }

    /// <summary>
    /// Whether the cgroup v2 directory <paramref name="directory"/> is frozen ("frozen 1" in its
    /// cgroup.events): every task in it is stopped in the freezer and cannot run, let alone fork,
    /// until the cgroup is thawed.
    /// </summary>
    internal static bool IsCgroupFrozen(string directory, ref byte[] buffer)
    {
        int n = Read(directory + "/cgroup.events", ref buffer);
        return n > 0 && TryFindLine(buffer.AsSpan(0, n), "frozen "u8, out ReadOnlySpan<byte> value) && value.SequenceEqual("1"u8);
    }

    /// <summary>Our own ancestors, us included, from /proc/PID/stat's ppid up to 0 (pid 1 is always among them).</summary>
    internal static HashSet<int> CallerAndAncestors()
    {
        var result = new HashSet<int>();
        byte[] buffer = new byte[512];
        int pid = Environment.ProcessId;
        while (pid > 0 && result.Add(pid))
        {
            if (ReadStat("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat", ref buffer, out Stat stat) < 0)
            {
                break;
            }

            pid = stat.ParentPid;
        }

        return result;
    }

    /// <summary>Finds the line that starts with <paramref name="prefix"/>; <paramref name="value"/> is the rest of it.</summary>
    private static bool TryFindLine(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix, out ReadOnlySpan<byte> value)
    {
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? text : text[..end];
            if (line.StartsWith(prefix))
            {
                value = line[prefix.Length..];
                return true;
            }

            text = end < 0 ? default : text[(end + 1)..];
        }

        value = default;
        return false;
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        ReadOnlySpan<byte> magnitude = digits.Length > 0 && digits[0] == (byte)'-' ? digits[1..] : digits;
        if (magnitude.IsEmpty || magnitude.Length > 9 || magnitude.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
        {
            return false;
        }

        value = (int)ParseLong(digits);
        return true;
    }

    private static long ParseLong(ReadOnlySpan<byte> digits)
    {
        long value = 0;
        bool negative = digits.Length > 0 && digits[0] == (byte)'-';
        foreach (byte b in negative ? digits[1..] : digits)
        {
            value = (value * 10) + (b - (byte)'0');
        }

        return negative ? -value : value;
    }
}
