using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;
using static OsKill.Testing.ProcState;

namespace OsKill.Cli.Tests;

/// <summary>
/// NAME targets, -p and -a, as util-linux has them: a target that is not a number is a command
/// name, and stands for every process of the caller's uid with that name (/proc/PID/comm), oskill
/// excepted. The processes are sleeps started under fresh names (a symbolic link to sleep named
/// so: the kernel names a process after the file it executes).
/// </summary>
public class NameTests
{
    [Fact]
    public async Task A_name_signals_every_process_with_that_name_and_no_other()
    {
        string name = UniqueName();
        using Child first = await StartNamedSleepAsync(name);
        using Child second = await StartNamedSleepAsync(name);
        using Child other = await StartNamedSleepAsync(UniqueName());

        Expect.Quiet(await OsKillRun.RunAsync(name));
        Assert.Equal(128 + Signal.SIGTERM, await first.WaitForExitAsync());
        Assert.Equal(128 + Signal.SIGTERM, await second.WaitForExitAsync());
        AssertUntouched(other.Pid);
    }

    [Fact]
    public async Task Verbose_names_each_process_a_name_stands_for()
    {
        string name = UniqueName();
        using Child a = await StartNamedSleepAsync(name);
        using Child b = await StartNamedSleepAsync(name);
        (int low, int high) = a.Pid < b.Pid ? (a.Pid, b.Pid) : (b.Pid, a.Pid);

        CliResult r = await OsKillRun.RunAsync("-v", "-s", "KILL", name);
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"sending signal 9 (KILL) to pid {low}: ok\nsending signal 9 (KILL) to pid {high}: ok\n", r.Stdout);
        Assert.Equal(137, await a.WaitForExitAsync());
        Assert.Equal(137, await b.WaitForExitAsync());
    }

    [Fact]
    public async Task A_name_nobody_has_is_a_failed_target()
    {
        using Child sleep = await StartNamedSleepAsync(UniqueName());
        CliResult r = await OsKillRun.RunAsync(NoSuchName);
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(string.Empty, r.Stdout);
        Assert.Equal($"oskill: cannot find process \"{NoSuchName}\"\n", r.Stderr);

        // With a target that works: 64, and the other target is signalled.
        r = await OsKillRun.RunAsync("-s", "KILL", NoSuchName, Text(sleep.Pid));
        Assert.Equal(64, r.ExitCode);
        Assert.Equal($"oskill: cannot find process \"{NoSuchName}\"\n", r.Stderr);
        Assert.Equal(137, await sleep.WaitForExitAsync());
    }

    [Fact]
    public async Task A_name_longer_than_the_kernel_keeps_says_why_it_cannot_match()
    {
        // /proc/PID/comm holds at most 15 bytes, so a 16-byte name never matches, as in util-linux.
        string name = UniqueName() + "abc";
        Assert.Equal(16, name.Length);
        CliResult r = await OsKillRun.RunAsync(name);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"oskill: cannot find process \"{name}\" (a process name has at most 15 bytes)\n", r.Stderr);
    }

    [Fact]
    public async Task Pid_prints_the_pids_a_name_stands_for_and_sends_nothing()
    {
        string name = UniqueName();
        using Child a = await StartNamedSleepAsync(name);
        using Child b = await StartNamedSleepAsync(name);
        (int low, int high) = a.Pid < b.Pid ? (a.Pid, b.Pid) : (b.Pid, a.Pid);

        CliResult r = await OsKillRun.RunAsync("-p", name);
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"{low}\n{high}\n", r.Stdout);
        Assert.Equal(string.Empty, r.Stderr);

        // A number prints as it is, as in util-linux; a name nobody has fails.
        r = await OsKillRun.RunAsync("--pid", "--", "-77", Text(a.Pid), NoSuchName);
        Assert.Equal(64, r.ExitCode);
        Assert.Equal($"-77\n{a.Pid}\n", r.Stdout);
        Assert.Equal($"oskill: cannot find process \"{NoSuchName}\"\n", r.Stderr);

        AssertUntouched(a.Pid);
        AssertUntouched(b.Pid);
    }

    [Theory]
    [InlineData("--pid and --signal are mutually exclusive", "-p", "-s", "KILL")]
    [InlineData("--pid and --signal are mutually exclusive", "-9", "-p")]
    [InlineData("--pid and --queue are mutually exclusive", "-p", "-q", "1")]
    [InlineData("--pid and --timeout are mutually exclusive", "-p", "--timeout", "10", "KILL")]
    public async Task Pid_with_a_signal_is_a_usage_error(string message, params string[] args)
    {
        string name = UniqueName();
        using Child sleep = await StartNamedSleepAsync(name);
        Expect.UsageError(await OsKillRun.RunAsync([.. args, name]), message);
        AssertUntouched(sleep.Pid);
    }

    [Fact]
    public async Task A_name_never_stands_for_oskill_itself()
    {
        // The name oskill runs under: the dotnet host for the JIT build, OsKill.Cli for the
        // native pair (the front execs it for anything but the plain shapes). A sleep of that
        // name shows that the name matches; the shell execs oskill, so its pid is oskill's.
        string self = OsKillRun.Native is null ? Path.GetFileName(Child.DotnetHost) : "OsKill.Cli";
        using Child namesake = await StartNamedSleepAsync(self);
        CliResult r = await OsKillRun.RunCommandAsync(["sh", "-c", "echo $$; exec \"$@\"", "sh", .. OsKillRun.Command, "-p", self]);
        Expect.Clean(r);
        string[] lines = r.Stdout.TrimEnd('\n').Split('\n');
        int oskill = int.Parse(lines[0]);
        Assert.Contains(Text(namesake.Pid), lines[1..]);
        Assert.DoesNotContain(Text(oskill), lines[1..]);
    }

    [Fact]
    public async Task A_name_matches_only_your_own_processes_unless_all()
    {
        Unprivileged.SkipUnlessRoot();
        string name = UniqueName();
        using Child theirs = await StartNamedSleepAsync(name, [.. Unprivileged.Wrapper]);

        CliResult r = await OsKillRun.RunAsync(name);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"oskill: cannot find process \"{name}\"\n", r.Stderr);
        AssertUntouched(theirs.Pid);

        r = await OsKillRun.RunAsync("-a", "-p", name);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"{theirs.Pid}\n", r.Stdout);

        Expect.Quiet(await OsKillRun.RunAsync("--all", name));
        Assert.Equal(128 + Signal.SIGTERM, await theirs.WaitForExitAsync());
    }
}
