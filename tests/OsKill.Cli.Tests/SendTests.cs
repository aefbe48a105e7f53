using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;
using static OsKill.Testing.ProcState;

namespace OsKill.Cli.Tests;

/// <summary>
/// Signals to real processes, every way of naming them, and util-linux's exit statuses: 0 when
/// every target succeeded, 1 when every one failed, 64 when only some did. The "no such process"
/// targets are numbers above PID_MAX_LIMIT, which no process can ever have. The receiver (gcc-built,
/// shared with the library's tests) shows what .NET cannot: each signal's si_code and value.
/// </summary>
public class SendTests(SigInfoReceiver receivers) : IClassFixture<SigInfoReceiver>
{
    [Fact]
    public async Task The_default_signal_is_TERM()
    {
        using Child sleep = await StartSleepAsync();
        Expect.Quiet(await OsKillRun.RunAsync(Text(sleep.Pid)));
        Assert.Equal(128 + Signal.SIGTERM, await sleep.WaitForExitAsync());
    }

    [Theory]
    [InlineData("-9")]
    [InlineData("-KILL")]
    [InlineData("-kill")]
    [InlineData("-SIGKILL")]
    [InlineData("-s", "KILL")]
    [InlineData("-s", "9")]
    [InlineData("-s", "sigKill")]
    [InlineData("--signal", "KILL")]
    [InlineData("--signal=kill")]
    [InlineData("-s=9")]
    [InlineData("-v", "-9")]
    public async Task Every_form_of_the_signal_sends_it(params string[] signal)
    {
        using Child sleep = await StartSleepAsync();
        CliResult r = await OsKillRun.RunAsync([.. signal, Text(sleep.Pid)]);
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(128 + 9, await sleep.WaitForExitAsync());
    }

    [Theory]
    [InlineData("-0")]
    [InlineData("-s", "0")]
    public async Task Signal_zero_checks_and_sends_nothing(params string[] signal)
    {
        using Child sleep = await StartSleepAsync();
        Expect.Quiet(await OsKillRun.RunAsync([.. signal, Text(sleep.Pid)]));
        Assert.False(sleep.Process.HasExited);
        AssertUntouched(sleep.Pid);

        CliResult gone = await OsKillRun.RunAsync([.. signal, Text(NoSuchProcess())]);
        Assert.Equal(1, gone.ExitCode);
        Assert.Equal($"oskill: ({NoSuchProcess()}): No such process\n", gone.Stderr);
    }

    [Fact]
    public async Task Exit_status_is_0_when_every_target_succeeded()
    {
        using Child a = await StartSleepAsync();
        using Child b = await StartSleepAsync();
        Expect.Quiet(await OsKillRun.RunAsync("-s", "KILL", Text(a.Pid), Text(b.Pid)));
        Assert.Equal(137, await a.WaitForExitAsync());
        Assert.Equal(137, await b.WaitForExitAsync());
    }

    [Fact]
    public async Task Exit_status_is_1_when_every_target_failed()
    {
        CliResult r = await OsKillRun.RunAsync(Text(NoSuchProcess(1)), NoSuchName, Text(NoSuchProcess(2)));
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(string.Empty, r.Stdout);
        Assert.Equal(
            $"oskill: ({NoSuchProcess(1)}): No such process\noskill: cannot find process \"{NoSuchName}\"\noskill: ({NoSuchProcess(2)}): No such process\n",
            r.Stderr);
    }

    [Fact]
    public async Task Exit_status_is_64_when_only_some_succeeded()
    {
        using Child live = await StartSleepAsync();
        using Child alsoLive = await StartSleepAsync();
        CliResult r = await OsKillRun.RunAsync("-s", "KILL", Text(NoSuchProcess()), Text(live.Pid), "12x", Text(alsoLive.Pid));
        Expect.Clean(r);
        Assert.Equal(64, r.ExitCode);
        Assert.Equal($"oskill: ({NoSuchProcess()}): No such process\noskill: cannot find process \"12x\"\n", r.Stderr);
        Assert.Equal(137, await live.WaitForExitAsync());
        Assert.Equal(137, await alsoLive.WaitForExitAsync());
    }

    [Fact]
    public async Task Verbose_prints_each_pid_and_the_outcome()
    {
        int usr1 = Signal.SIGUSR1;
        using Child receiver = await receivers.StartAsync(1, usr1);
        CliResult r = await OsKillRun.RunAsync("-v", "-s", "USR1", Text(receiver.Pid), Text(NoSuchProcess()), NoSuchName);
        Expect.Clean(r);
        Assert.Equal(64, r.ExitCode);
        Assert.Equal(
            $"sending signal {usr1} (USR1) to pid {receiver.Pid}: ok\n" +
            $"sending signal {usr1} (USR1) to pid {NoSuchProcess()}: No such process\n" +
            $"cannot find process \"{NoSuchName}\"\n",
            r.Stdout);
        Assert.Equal($"oskill: ({NoSuchProcess()}): No such process\noskill: cannot find process \"{NoSuchName}\"\n", r.Stderr);

        // A plain kill(2): si_code is SI_USER (0).
        receiver.CloseInput();
        await receiver.WaitForLineAsync(l => l.StartsWith($"got {usr1} 0 ", StringComparison.Ordinal));
        Assert.Equal(0, await receiver.WaitForExitAsync());
    }

    [Fact]
    public async Task Queue_sends_the_value_with_sigqueue()
    {
        int usr1 = Signal.SIGUSR1;
        int rt1 = Signal.Parse("RTMIN+1");
        using Child receiver = await receivers.StartAsync(2, usr1, rt1);

        CliResult r = await OsKillRun.RunAsync("-q", "42", "-s", "USR1", Text(receiver.Pid));
        Expect.Quiet(r);

        r = await OsKillRun.RunAsync("-v", "--queue", "-7", "-RTMIN+1", Text(receiver.Pid));
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"sending signal {rt1} (RT1) with value -7 to pid {receiver.Pid}: ok\n", r.Stdout);

        r = await OsKillRun.RunAsync("-q", "1", "-s", "USR1", Text(NoSuchProcess()));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"oskill: ({NoSuchProcess()}): No such process\n", r.Stderr);

        // si_code -1 is SI_QUEUE: sigqueue, not kill, and each value came along.
        receiver.CloseInput();
        await receiver.WaitForLineAsync("done");
        Assert.Contains(receiver.Seen, l => l.StartsWith($"got {usr1} -1 42 ", StringComparison.Ordinal));
        Assert.Contains(receiver.Seen, l => l.StartsWith($"got {rt1} -1 -7 ", StringComparison.Ordinal));
        Assert.Equal(0, await receiver.WaitForExitAsync());
    }

    [Fact]
    public async Task Options_end_at_the_first_target()
    {
        // util-linux: "kill PID -N" is pid PID and process group N, never signal N.
        using Child sleep = await StartSleepAsync();
        int group = NoSuchProcess();
        CliResult r = await OsKillRun.RunAsync(Text(sleep.Pid), $"-{group}", "-s", "KILL");
        Expect.Clean(r);
        Assert.Equal(64, r.ExitCode);
        Assert.Equal($"oskill: (-{group}): No such process\noskill: cannot find process \"-s\"\noskill: cannot find process \"KILL\"\n", r.Stderr);
        Assert.Equal(128 + Signal.SIGTERM, await sleep.WaitForExitAsync());
    }

    [Theory]
    [InlineData("unknown signal: FOO", "-s", "FOO")]
    [InlineData("invalid signal name or number: FOO", "-FOO")]
    [InlineData("unknown signal: 65", "-s", "65")]
    [InlineData("invalid signal name or number: 65", "-65")]
    [InlineData("invalid signal name or number: 1234 (for process group 1234, write: oskill -- -1234)", "-1234")]
    [InlineData("unknown signal: -1", "-s", "-1")]
    [InlineData("unknown signal: +9", "-s", "+9")]
    [InlineData("unknown signal:  9", "-s", " 9")]
    [InlineData("unknown signal: 9x", "-s", "9x")]
    [InlineData("unknown signal: \uff19", "-s", "\uff19")]
    [InlineData("unknown signal: 99999999999", "-s", "99999999999")]
    [InlineData("unknown signal: RTMIN+31", "-s", "RTMIN+31")]
    [InlineData("unknown signal: RTMAX-31", "-s", "RTMAX-31")]
    [InlineData("unknown signal: RT31", "-s", "RT31")]
    [InlineData("unknown signal: SIGSIGKILL", "-s", "SIGSIGKILL")]
    [InlineData("unknown signal: SIG", "-s", "SIG")]
    [InlineData("unknown signal: ", "-s", "")]
    [InlineData("invalid signal name or number: sKILL", "-sKILL")]
    [InlineData("--timeout 1000 KILL: FOO is not a signal (oskill -l lists the names)", "--timeout", "100", "FOO")]
    [InlineData("invalid --timeout '-5'", "--timeout", "-5", "KILL")]
    [InlineData("invalid --timeout '1.5'", "--timeout", "1.5", "KILL")]
    [InlineData("invalid --timeout '99999999999'", "--timeout", "99999999999", "KILL")]
    [InlineData("invalid --queue value 'x'", "-q", "x")]
    [InlineData("invalid --queue value '2147483648'", "-q", "2147483648")]
    [InlineData("--queue and --timeout cannot be combined", "-q", "1", "--timeout", "10", "KILL")]
    [InlineData("unrecognized option '--bogus'", "--bogus")]
    [InlineData("invalid signal name or number: vL", "-vL")]
    public async Task Rejected_names_and_numbers_send_nothing(string message, params string[] args)
    {
        using Child sleep = await StartSleepAsync();
        CliResult r = await OsKillRun.RunAsync([.. args, Text(sleep.Pid)]);
        Expect.UsageError(r, message);
        Assert.False(sleep.Process.HasExited);
        AssertUntouched(sleep.Pid);
    }

    [Theory]
    [InlineData("not enough arguments")]
    [InlineData("not enough arguments", "-9")]
    [InlineData("not enough arguments", "-s", "KILL", "-v")]
    [InlineData("Required argument missing for option: '-s'", "-s")]
    [InlineData("--timeout takes MS SIG pairs (wait MS milliseconds, then send SIG), as in --timeout 2000 INT --timeout 1000 KILL; '100' has no signal after it", "--timeout", "100")]
    [InlineData("--timeout takes MS SIG pairs (wait MS milliseconds, then send SIG), as in --timeout 2000 INT --timeout 1000 KILL; '100' has no signal after it", "--timeout=100")]
    [InlineData("--timeout takes MS SIG pairs (wait MS milliseconds, then send SIG), as in --timeout 2000 INT --timeout 1000 KILL; it was given nothing", "--timeout")]
    public async Task Missing_arguments_are_usage_errors(string message, params string[] args)
    {
        Expect.UsageError(await OsKillRun.RunAsync(args), message);
    }
}
