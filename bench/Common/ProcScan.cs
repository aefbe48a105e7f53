using System.Globalization;
using System.Text;

namespace OsKill.Bench;

/// <summary>What /proc says about the processes a run left behind.</summary>
internal static class ProcScan
{
    /// <summary>A process seen in /proc/PID/stat.</summary>
    public readonly record struct Seen(int Pid, char State, int ParentPid, int Session)
    {
        /// <summary>Not a zombie, not dead: a process still running (or stopped).</summary>
        public bool IsAlive => State is not ('Z' or 'X' or 'x');
    }

    /// <summary>Every process whose command name is <paramref name="comm"/>, in session <paramref name="sid"/>.</summary>
    public static List<Seen> Session(int sid, string comm)
    {
        var found = new List<Seen>();
        foreach (int pid in Pids())
        {
            if (Stat(pid) is { } s && s.Comm == comm && s.Seen.Session == sid)
            {
                found.Add(s.Seen);
            }
        }

        return found;
    }

    /// <summary>Every process whose environment holds <paramref name="variable"/>=<paramref name="value"/>.</summary>
    public static List<Seen> WithEnvironment(string variable, string value)
    {
        byte[] needle = Encoding.ASCII.GetBytes($"{variable}={value}\0");
        var found = new List<Seen>();
        foreach (int pid in Pids())
        {
            byte[] environ;
            try
            {
                environ = File.ReadAllBytes($"/proc/{pid}/environ");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (environ.AsSpan().IndexOf(needle) >= 0 && Stat(pid) is { } s)
            {
                found.Add(s.Seen);
            }
        }

        return found;
    }

    /// <summary>Sends SIGKILL to each (by pid: for processes just found, before anyone can reap them).</summary>
    public static void KillAll(IEnumerable<Seen> processes)
    {
        foreach (Seen p in processes)
        {
            if (p.IsAlive)
            {
                _ = Native.kill(p.Pid, 9);
            }
        }
    }

    private static IEnumerable<int> Pids()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                yield return pid;
            }
        }
    }

    private static (Seen Seen, string Comm)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
        int open = text.IndexOf('(', StringComparison.Ordinal);
        int close = text.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }

        string[] f = text[(close + 2)..].Split(' ');
        return (new Seen(pid, f[0][0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture)), text[(open + 1)..close]);
    }
}
