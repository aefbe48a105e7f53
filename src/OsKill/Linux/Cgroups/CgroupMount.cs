using System.Runtime.Versioning;
using System.Text;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// Where the cgroup v2 hierarchy is mounted (from /proc/self/mountinfo), and the caller's own
/// cgroup in it (from /proc/self/cgroup). A file that cannot be read is said as its errno, apart
/// from "there is none".
/// </summary>
[SupportedOSPlatform("linux")]
internal static class CgroupMount
{
    internal const string MountInfo = "/proc/self/mountinfo";

    internal const string OwnCgroup = "/proc/self/cgroup";

    /// <summary>
    /// The mount point of the cgroup v2 hierarchy, or null when there is none; <paramref name="errno"/>
    /// is 0, or why /proc/self/mountinfo could not be read (then the result is null as well).
    /// </summary>
    internal static string? Find(out string mountRoot, out int errno)
    {
        mountRoot = "/";
        string? text = ReadText(MountInfo, out errno);
        if (text is null)
        {
            return null;
        }

        foreach (string line in text.Split('\n'))
        {
            // "36 25 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw": the fields
            // before " - " are id, parent, dev, root, mount point, options, optional tags; the
            // filesystem type follows the separator.
            int dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0)
            {
                continue;
            }

            string[] after = line[(dash + 3)..].Split(' ');
            if (after.Length == 0 || after[0] != "cgroup2")
            {
                continue;
            }

            string[] before = line[..dash].Split(' ');
            if (before.Length < 5)
            {
                continue;
            }

            mountRoot = Unescape(before[3]);
            return Unescape(before[4]);
        }

        return null;
    }

    /// <summary>
    /// The caller's cgroup directory: the mount point plus the "0::" path of /proc/self/cgroup,
    /// relative to the mount's root. Null when it is not there; <paramref name="errno"/> is 0, or
    /// why /proc/self/cgroup could not be read (then the result is null as well): an error, such
    /// as EMFILE, is no reason to make the cgroup somewhere else.
    /// </summary>
    internal static string? OwnDirectory(string mount, string mountRoot, out int errno)
    {
        string? text = ReadText(OwnCgroup, out errno);
        if (text is null)
        {
            return null;
        }

        foreach (string line in text.Split('\n'))
        {
            if (!line.StartsWith("0::", StringComparison.Ordinal))
            {
                continue;
            }

            string? dir = ProcFs.CgroupDirectory(mount, mountRoot, line[3..]);
            return dir is not null && Directory.Exists(dir) ? dir : null;
        }

        return null;
    }

    /// <summary>The whole of a /proc file, or null with the errno when it cannot be opened or read.</summary>
    private static string? ReadText(string path, out int errno)
    {
        byte[] buffer = new byte[8192];
        int n = ProcFs.Read(path, ref buffer);
        errno = n < 0 ? -n : 0;
        return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, n);
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }
}
