using System.Globalization;

namespace OsKill.Cli.Run;

/// <summary>One line of /proc/PID/stat: what <c>oskill run</c> needs of a process.</summary>
internal readonly record struct ProcEntry(int Pid, int ParentPid, int ProcessGroup, char State);

/// <summary>Reads every process in /proc: the zombie reaper and the fallback container's member list use it.</summary>
internal static class ProcTable
{
    /// <summary>Every process readable now; one that vanishes meanwhile is left out.</summary>
    internal static List<ProcEntry> Read()
    {
        var entries = new List<ProcEntry>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            if (TryRead(pid) is ProcEntry entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>/proc/PID/stat parsed, or null when the process is gone.</summary>
    internal static ProcEntry? TryRead(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
        int close = stat.LastIndexOf(')');
        string[] fields = close < 0 ? [] : stat[(close + 2)..].Split(' ');
        return fields.Length >= 3
            && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ppid)
            && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out int pgrp)
            ? new ProcEntry(pid, ppid, pgrp, fields[0][0])
            : null;
    }

    /// <summary>Every living descendant of <paramref name="root"/> (zombies excepted), found through the parent links.</summary>
    internal static List<int> Descendants(int root, IReadOnlySet<int> except)
    {
        List<ProcEntry> all = Read();
        ILookup<int, ProcEntry> children = all.ToLookup(e => e.ParentPid);
        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            foreach (ProcEntry child in children[queue.Dequeue()])
            {
                if (except.Contains(child.Pid))
                {
                    continue;
                }

                queue.Enqueue(child.Pid);
                if (child.State is not ('Z' or 'X'))
                {
                    found.Add(child.Pid);
                }
            }
        }

        return found;
    }
}
