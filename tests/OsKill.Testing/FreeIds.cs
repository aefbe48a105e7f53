using System.Globalization;

namespace OsKill.Testing;

/// <summary>Finds numbers that no process uses right now, for "no such process" tests.</summary>
public static class FreeIds
{
    /// <summary>
    /// A number that is neither a pid nor a process-group id nor a session id now, searched from
    /// the top of pid_max downwards: the kernel hands out pids upwards from the last one, so a
    /// number near the top stays free for a while.
    /// </summary>
    public static int FindUnusedPid()
    {
        var used = new HashSet<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            used.Add(pid);
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            // After "pid (comm) ": state ppid pgrp session.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            used.Add(int.Parse(fields[2], CultureInfo.InvariantCulture));
            used.Add(int.Parse(fields[3], CultureInfo.InvariantCulture));
        }

        int pidMax = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), CultureInfo.InvariantCulture);
        for (int candidate = pidMax - 1; candidate > 300; candidate--)
        {
            if (!used.Contains(candidate) && !Directory.Exists($"/proc/{candidate}"))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("every pid is in use");
    }
}
