using System.Globalization;
using OsKill.Tests.Infrastructure;

namespace OsKill.Cli.Tests.Infrastructure;

/// <summary>What the CLI tests signal: sleeps they start, and numbers that no process can have.</summary>
public static class Targets
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

    /// <summary>A number as oskill's arguments spell it.</summary>
    public static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A <c>sleep</c>, optionally behind a wrapper such as setsid, returned once it sleeps. A shell
    /// prints "ready PID" (after the wrapper has done its work) and then becomes the sleep.
    /// </summary>
    public static Task<Child> StartSleepAsync(params string[] wrapper) =>
        StartAsSleepAsync([.. wrapper, "sh", "-c", "echo ready $$; exec sleep 1000"]);

    /// <summary>A shell that ignores TERM and then becomes <c>sleep</c>, which keeps ignoring it (SIG_IGN survives exec).</summary>
    public static Task<Child> StartIgnoringTermAsync() =>
        StartAsSleepAsync(["sh", "-c", "trap '' TERM; echo ready $$; exec sleep 1000"]);

    // Waits until the shell has become the sleep and sleeps, so that what a test then reads in
    // /proc is the sleep's state, not the shell's on its way there.
    private static async Task<Child> StartAsSleepAsync(string[] command)
    {
        Child child = await Child.StartCommandAsync(command);
        bool asleep = false;
        await ProcState.WaitForStateAsync(child.Pid, s => asleep = s == 'S' && Command(child.Pid) == "sleep");
        if (!asleep)
        {
            child.Dispose();
            throw new TimeoutException($"pid {child.Pid} never became a sleeping 'sleep'");
        }

        return child;
    }

    private static string? Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
