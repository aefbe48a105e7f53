using System.Globalization;
using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;
using static OsKill.Testing.ProcState;

namespace OsKill.Cli.Tests;

/// <summary>
/// Negative targets are process groups. Every group signalled here is one a test made with setsid,
/// and is signalled only while its leader is alive; the test host's own group, 0 and -1 never are.
/// </summary>
public class ProcessGroupTests
{
    private static readonly string[] s_setsid = ["setsid"];

    [Theory]
    [InlineData("-s", "USR1", "--")]
    [InlineData("-USR1")]
    [InlineData("-s", "USR1")]
    [InlineData("--", "-s", "USR1")]
    public async Task A_negative_target_signals_every_member_of_the_group_and_nobody_else(params string[] before)
    {
        int usr1 = Signal.SIGUSR1;
        using Child outsider = await Child.StartAsync("catch", Text(usr1));
        using Child leader = await Child.StartWrappedAsync(s_setsid, ["spawn", "2", "catch", Text(usr1)]);
        int pgid = leader.Pid;
        Assert.Equal(pgid, ProcessGroup(leader.Pid));
        Assert.NotEqual(pgid, ProcessGroup(Environment.ProcessId));
        int[] members = [.. leader.Seen.Where(l => l.StartsWith("child ", StringComparison.Ordinal)).Select(l => int.Parse(l["child ".Length..], CultureInfo.InvariantCulture))];
        Assert.Equal(2, members.Length);

        string[] args = before is ["--", "-s", "USR1"]
            ? ["-s", "USR1", "--", $"-{pgid}"] // spelled out: '--' then the group
            : [.. before, $"-{pgid}"];
        CliResult r = await OsKillRun.RunAsync(args);
        Expect.Quiet(r);
        await leader.WaitForAllAsync([$"got {usr1}", .. members.Select(m => $"child {m} got {usr1}")]);

        Assert.Equal(usr1, await leader.FinishAsync());
        Assert.Equal(0, await outsider.FinishAsync()); // the first signal it caught: none
        Assert.DoesNotContain(outsider.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Group_TERM_by_default_and_the_existence_check()
    {
        using Child sleep = await StartSleepAsync(s_setsid);
        int pgid = sleep.Pid;
        Assert.Equal(pgid, ProcessGroup(sleep.Pid));
        Assert.NotEqual(pgid, ProcessGroup(Environment.ProcessId));

        Expect.Quiet(await OsKillRun.RunAsync("-0", "--", $"-{pgid}"));
        Assert.False(sleep.Process.HasExited);

        CliResult r = await OsKillRun.RunAsync("-v", "--", $"-{pgid}");
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"sending signal {Signal.SIGTERM} (TERM) to process group {pgid}: ok\n", r.Stdout);
        Assert.Equal(128 + Signal.SIGTERM, await sleep.WaitForExitAsync());
    }

    [Fact]
    public async Task A_group_that_does_not_exist_fails()
    {
        int group = NoSuchProcess();
        CliResult r = await OsKillRun.RunAsync("-s", "0", "--", $"-{group}");
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"oskill: (-{group}): No such process\n", r.Stderr);

        // A legacy signal, then a group; a live pid beside it makes the run partly successful.
        using Child sleep = await StartSleepAsync();
        r = await OsKillRun.RunAsync("-KILL", $"-{group}", Text(sleep.Pid));
        Assert.Equal(64, r.ExitCode);
        Assert.Equal(137, await sleep.WaitForExitAsync());
    }

    [Fact]
    public void Zero_and_minus_one_keep_their_kill2_meaning()
    {
        // Parsed only, never sent: 0 is oskill's own group, -1 is every process it may signal.
        Plan.Send zero = Assert.IsType<Plan.Send>(Cli.ParseArguments(["-s", "0", "0"]));
        Assert.Equal(["0"], zero.Request.Targets);
        Plan.Send all = Assert.IsType<Plan.Send>(Cli.ParseArguments(["-s", "KILL", "-1"]));
        Assert.Equal(["-1"], all.Request.Targets);
        Assert.Equal("sending signal 9 (KILL) to pid -1 (every process oskill may signal)", Sender.Sending(9, null, -1));
        Assert.Equal("sending signal 15 (TERM) to pid 0 (oskill's own process group)", Sender.Sending(15, null, 0));

        // "-1" alone is signal 1 with no target, as in util-linux.
        Assert.IsType<Plan.UsageError>(Cli.ParseArguments(["-1"]));
    }
}
