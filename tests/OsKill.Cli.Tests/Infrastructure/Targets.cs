using System.Globalization;

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

    /// <summary>A command name that no process has: a NAME target that matches nothing.</summary>
    public const string NoSuchName = "oskill-nobody";

    /// <summary>A name no process has yet, 13 bytes (the kernel keeps 15), for processes a test starts under it.</summary>
    public static string UniqueName() => "osk" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>
    /// A <c>sleep</c> whose command name (/proc/PID/comm) is <paramref name="name"/>, optionally
    /// behind a wrapper such as setpriv: the kernel names a process after the file it executes,
    /// so the shell execs a symbolic link of that name to sleep.
    /// </summary>
    public static Task<Child> StartNamedSleepAsync(string name, params string[] wrapper) =>
        StartAsSleepAsync([.. wrapper, "sh", "-c", "echo ready $$; exec \"$0\" 1000", LinkAs(name, Program("sleep"))], name);

    /// <summary>
    /// A shell with a handler for <paramref name="signal"/> (a trap that prints "got SIGNAL"),
    /// named <paramref name="name"/> (a symbolic link to sh) or sh. It waits for a short sleep in
    /// a loop, so that the trap runs as soon as the signal comes.
    /// </summary>
    public static async Task<Child> StartTrappingAsync(string signal, string? name = null)
    {
        string shell = name is null ? "sh" : LinkAs(name, Program("sh"));
        Child child = await Child.StartCommandAsync(
            [shell, "-c", $"trap 'echo got {signal}' {signal}; echo ready $$; while :; do sleep 1 & wait $!; done"]);
        if (name is not null && Command(child.Pid) != name)
        {
            child.Dispose();
            throw new InvalidOperationException($"pid {child.Pid} is not named {name}");
        }

        return child;
    }

    /// <summary>
    /// A symbolic link called <paramref name="name"/> to <paramref name="target"/>, in a directory
    /// of this test run that every user may enter (a process under setpriv runs it too): see
    /// <see cref="SharedTempDirectory"/>.
    /// </summary>
    public static string LinkAs(string name, string target)
    {
        string link = Path.Combine(s_links.Value, name);
        if (new FileInfo(link).LinkTarget != target)
        {
            File.CreateSymbolicLink(link, target);
        }

        return link;
    }

    private static readonly Lazy<string> s_links = new(() => SharedTempDirectory.Subdirectory("names"));

    // A program on the PATH, resolved: the link must point at the file, not at a name.
    private static string Program(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not on the PATH");

    // Waits until the shell has become the sleep and sleeps, so that what a test then reads in
    // /proc is the sleep's state, not the shell's on its way there.
    private static async Task<Child> StartAsSleepAsync(string[] command, string name = "sleep")
    {
        Child child = await Child.StartCommandAsync(command);
        bool asleep = false;
        await ProcState.WaitForStateAsync(child.Pid, s => asleep = s == 'S' && Command(child.Pid) == name);
        if (!asleep)
        {
            child.Dispose();
            throw new TimeoutException($"pid {child.Pid} never became a sleeping '{name}'");
        }

        return child;
    }

    /// <summary>The command name of a process (/proc/PID/comm), or null once it is gone.</summary>
    public static string? Command(int pid)
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
