using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;
using static OsKill.Testing.ProcState;

namespace OsKill.Cli.Tests;

/// <summary>
/// -r (--require-handler) and -d (--show-process-state): what /proc/PID/status says about a
/// process's signals. The processes: a shell with a trap (a handler), a sleep (none: USR1 would
/// end it, so a USR1 that -r failed to hold back shows), a sleep that ignores TERM, and the
/// siginfo receiver, which blocks its signals.
/// </summary>
public class HandlerTests(SigInfoReceiver receivers) : IClassFixture<SigInfoReceiver>
{
    [Fact]
    public async Task Require_handler_signals_a_process_with_a_handler_and_skips_one_without()
    {
        using Child trapping = await StartTrappingAsync("USR1");
        using Child sleep = await StartSleepAsync();
        int usr1 = Signal.SIGUSR1;

        CliResult r = await OsKillRun.RunAsync("-r", "-v", "-s", "USR1", Text(trapping.Pid), Text(sleep.Pid));
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            $"sending signal {usr1} (USR1) to pid {trapping.Pid}: ok\n" +
            $"not signalling pid {sleep.Pid}, it has no userspace handler for signal {usr1} (USR1)\n",
            r.Stdout);
        Assert.Equal(string.Empty, r.Stderr);
        await trapping.WaitForLineAsync("got USR1");
        AssertUntouched(sleep.Pid);
    }

    [Fact]
    public async Task Require_handler_with_every_process_skipped_is_status_1_and_says_so_only_with_verbose()
    {
        // util-linux: a skip is neither a success nor a failure; with nothing signalled, 1.
        using Child sleep = await StartSleepAsync();
        CliResult r = await OsKillRun.RunAsync("--require-handler", "-USR1", Text(sleep.Pid));
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(string.Empty, r.Stdout);
        Assert.Equal(string.Empty, r.Stderr);
        AssertUntouched(sleep.Pid);
    }

    [Fact]
    public async Task Require_handler_follows_a_name_to_its_processes()
    {
        string name = UniqueName();
        using Child trapping = await StartTrappingAsync("TERM", name);
        Expect.Quiet(await OsKillRun.RunAsync("-r", name));
        await trapping.WaitForLineAsync("got TERM");
        Assert.False(trapping.Process.HasExited); // the trap took TERM
    }

    [Fact]
    public async Task Require_handler_fails_for_groups_and_missing_processes()
    {
        int gone = NoSuchProcess();
        CliResult r = await OsKillRun.RunAsync("-r", "-s", "HUP", Text(gone), $"-{gone}");
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(
            $"oskill: ({gone}): No such process\noskill: (-{gone}): --require-handler needs a process id, not a process group\n",
            r.Stderr);
    }

    [Fact]
    public async Task Show_process_state_decodes_the_ignored_signals()
    {
        using Child ignoring = await StartIgnoringTermAsync();
        CliResult r = await OsKillRun.RunAsync("-d", Text(ignoring.Pid));
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("Ignored: TERM \n", r.Stdout);
        Assert.Equal(string.Empty, r.Stderr);
    }

    [Fact]
    public async Task Show_process_state_decodes_blocked_pending_and_caught_signals()
    {
        int usr1 = Signal.SIGUSR1;
        int usr2 = Signal.SIGUSR2;
        using Child receiver = await receivers.StartAsync(1, usr1, usr2);
        Expect.Quiet(await OsKillRun.RunAsync("-s", "USR1", Text(receiver.Pid)));

        // kill(2) makes the signal pending for the process (ShdPnd), not for a thread.
        CliResult r = await OsKillRun.RunAsync("--show-process-state", Text(receiver.Pid));
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("Pending (process): USR1 \nBlocked: USR1 USR2 \n", r.Stdout);

        using Child trapping = await StartTrappingAsync("USR2");
        r = await OsKillRun.RunAsync($"-d={trapping.Pid}");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"(?m)^Caught: (\S+ )*USR2 (\S+ )*$", r.Stdout);

        receiver.CloseInput();
        await receiver.WaitForLineAsync(l => l.StartsWith($"got {usr1} ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("invalid PID argument: 'abc'", "-d", "abc")]
    [InlineData("invalid PID argument: '0'", "-d", "0")]
    [InlineData("invalid PID argument: '-5'", "-d", "-5")]
    [InlineData("invalid PID argument: ''", "-d=")]
    [InlineData("too many arguments", "-d", "1", "2")]
    [InlineData("Required argument missing for option: '-d'", "-d")]
    [InlineData("-d cannot be combined with -l or -L", "-L", "-d", "1")]
    public async Task Show_process_state_takes_exactly_one_pid(string message, params string[] args)
    {
        Expect.UsageError(await OsKillRun.RunAsync(args), message);
    }

    [Fact]
    public async Task Show_process_state_of_a_missing_process_fails_with_the_OS_s_words()
    {
        CliResult r = await OsKillRun.RunAsync("-d", Text(NoSuchProcess()));
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(string.Empty, r.Stdout);
        Assert.Equal($"oskill: cannot open /proc/{NoSuchProcess()}/status: No such file or directory\n", r.Stderr);
    }
}
