using System.Globalization;

namespace OsKill.Testing;

/// <summary>Reads what the kernel says about a process in /proc: the real state, not our own bookkeeping.</summary>
public static class ProcState
{
    /// <summary>The state letter from /proc/PID/stat: R, S, D, T (stopped), t, Z (zombie)...; null once the pid is gone.</summary>
    public static char? State(int pid)
    {
        string? stat = ReadStat(pid);
        if (stat is null)
        {
            return null;
        }

        // The command name is in parentheses and may hold spaces: the state follows the last ')'.
        int close = stat.LastIndexOf(')');
        return stat[close + 2];
    }

    /// <summary>The parent pid from /proc/PID/stat.</summary>
    public static int ParentPid(int pid)
    {
        string stat = ReadStat(pid) ?? throw new InvalidOperationException($"pid {pid} is gone");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The process group id from /proc/PID/stat.</summary>
    public static int ProcessGroup(int pid)
    {
        string stat = ReadStat(pid) ?? throw new InvalidOperationException($"pid {pid} is gone");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[2], CultureInfo.InvariantCulture);
    }

    /// <summary>Polls until the state satisfies the predicate or the time runs out; returns the last state.</summary>
    public static async Task<char?> WaitForStateAsync(int pid, Func<char?, bool> done, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? Child.Timeout);
        char? state = State(pid);
        while (!done(state) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            state = State(pid);
        }

        return state;
    }

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
