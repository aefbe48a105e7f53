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

    /// <summary>
    /// The signals pending for the process (ShdPnd, where kill(2) puts them) or its main thread
    /// (SigPnd) in /proc/PID/status, as a mask with bit N-1 for signal N; null once the pid is gone.
    /// </summary>
    public static ulong? PendingSignals(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        ulong pending = 0;
        foreach (string line in lines)
        {
            if (line.StartsWith("SigPnd:", StringComparison.Ordinal) || line.StartsWith("ShdPnd:", StringComparison.Ordinal))
            {
                pending |= ulong.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return pending;
    }

    /// <summary>
    /// Fails unless the process is alive (not a zombie), not stopped, and has no signal pending: how
    /// a process that nothing signalled looks from outside. Whether it runs or sleeps right now is
    /// up to the scheduler (a sleeping process is seen running now and then on a busy machine), so
    /// this never asks for one state letter.
    /// </summary>
    public static void AssertUntouched(int pid)
    {
        char? state = State(pid);
        Assert.True(
            state is not (null or 'Z' or 'X' or 'x' or 'T' or 't'),
            $"pid {pid} should be alive and not stopped, but its state is {(state is char c ? $"'{c}'" : "gone")}");
        ulong? pending = PendingSignals(pid);
        Assert.True(pending == 0, $"pid {pid} should have no signal pending, but its pending mask is 0x{pending:x}");
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
