using System.Globalization;

namespace OsKill.Cli.Tests.Infrastructure;

/// <summary>Numbers to signal safely, and what the kernel says about processes.</summary>
public static class Pids
{
    /// <summary>
    /// Linux's PID_MAX_LIMIT: pid_max can never be raised above 2^22, so no process or process group
    /// ever has this number or a higher one. These are the "no such process" targets: unlike a pid
    /// that is free now, they cannot be handed to a stranger between the check and the signal,
    /// which matters on a machine that starts processes fast (pid_max is often 32768).
    /// </summary>
    public const int Impossible = 4 * 1024 * 1024;

    /// <summary>A number above any pid: kill(2) on it, or on its negative, is always ESRCH.</summary>
    public static int NoSuchProcess(int n = 0) => Impossible + 1000 + n;

    public static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The state letter from /proc/PID/stat (R, S, T, Z...), or null once the pid is gone.</summary>
    public static char? State(int pid)
    {
        string? stat = ReadStat(pid);
        return stat is null ? null : stat[stat.LastIndexOf(')') + 2];
    }

    public static int ProcessGroup(int pid)
    {
        string stat = ReadStat(pid) ?? throw new InvalidOperationException($"pid {pid} is gone");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2], CultureInfo.InvariantCulture);
    }

    /// <summary>Polls /proc until the state satisfies the predicate or the time runs out.</summary>
    public static async Task<char?> WaitForStateAsync(int pid, Func<char?, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Child.Timeout);
        char? state = State(pid);
        while (!done(state) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            state = State(pid);
        }

        return state;
    }

    /// <summary>
    /// Waits until a process started behind setsid leads its own group (setsid runs after the
    /// fork, so at first the child is still in our group), and throws if it never does.
    /// </summary>
    public static async Task WaitForGroupLeaderAsync(int pid)
    {
        var deadline = DateTime.UtcNow + Child.Timeout;
        while (ReadStat(pid) is null || ProcessGroup(pid) != pid)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"pid {pid} never became a process-group leader");
            }

            await Task.Delay(10);
        }
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
