using OsKill.Cli.Run;
using OsKill.Cli.Tests.Infrastructure;

namespace OsKill.Cli.Tests;

/// <summary>
/// <c>oskill run</c>'s exit statuses, each row of the table in docs/run.md (GNU timeout's
/// convention), and its command line: the built CLI runs as a process.
/// </summary>
public class RunStatusTests
{
    [Fact]
    public async Task Cmd_that_succeeds_gives_0()
    {
        CliResult r = await OsKillRun.RunAsync("run", "--", "true");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(string.Empty, r.Stderr);
    }

    [Fact]
    public async Task Cmd_own_status_is_kept_and_its_streams_are_inherited()
    {
        CliResult r = await OsKillRun.RunAsync("run", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
    }

    [Fact]
    public async Task Cmd_ended_by_signal_N_gives_128_plus_N()
    {
        CliResult r = await OsKillRun.RunAsync("run", "--", "sh", "-c", "kill -USR1 $$");
        Assert.True(r.ExitCode == 128 + Signal.SIGUSR1, r.ToString());
    }

    [Fact]
    public async Task A_forwarded_signal_is_logged_with_v_and_its_default_action_ends_cmd()
    {
        // CMD's parent is oskill itself (the holding shell exec'd CMD): it signals oskill, which
        // forwards the signal back to CMD.
        CliResult r = await OsKillRun.RunAsync("run", "-v", "--", "sh", "-c", "kill -USR1 $PPID; sleep 30");
        Assert.True(r.ExitCode == 128 + Signal.SIGUSR1, r.ToString());
        Assert.Matches(@"oskill run: forwarded signal 10 \(SIGUSR1\) to CMD, pid \d+\n", r.Stderr);
        Assert.Contains("oskill run: CMD exited: signal 10 (SIGUSR1)", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--timeout", "300", "TERM")]
    [InlineData("--timeout", "0.3s", "-s", "TERM")]
    [InlineData("--timeout", "0.3", "-k", "1s")]
    public async Task A_timeout_that_fires_gives_124(params string[] timeout)
    {
        CliResult r = await OsKillRun.RunAsync(["run", .. timeout, "--", "sleep", "100"]);
        Assert.True(r.ExitCode == RunCommand.TimedOut, r.ToString());
    }

    [Fact]
    public async Task Preserve_status_keeps_what_the_timeout_signal_made_of_cmd()
    {
        CliResult r = await OsKillRun.RunAsync("run", "--preserve-status", "--timeout", "300", "TERM", "--", "sleep", "100");
        Assert.True(r.ExitCode == 128 + Signal.SIGTERM, r.ToString());
    }

    [Fact]
    public async Task A_timeout_that_does_not_fire_keeps_cmd_status()
    {
        CliResult r = await OsKillRun.RunAsync("run", "--timeout", "60s", "--", "sh", "-c", "exit 4");
        Assert.True(r.ExitCode == 4, r.ToString());
    }

    [Theory]
    [InlineData("--bogus", "unrecognized option '--bogus'")]
    [InlineData("--timeout", "invalid --timeout")]
    [InlineData("--kill-mode=process", "invalid --kill-mode 'process'")]
    [InlineData("-k", "invalid -k")]
    public async Task A_usage_error_gives_125_and_the_usual_lines(string option, string message)
    {
        CliResult r = await OsKillRun.RunAsync("run", option, "x", "--", "true");
        Assert.True(r.ExitCode == RunCommand.Failed, r.ToString());
        Assert.Equal(string.Empty, r.Stdout);
        string[] lines = r.Stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("oskill run: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(message, lines[0], StringComparison.Ordinal);
        Assert.Equal("Try 'oskill run --help' for more information.", lines[1]);
    }

    [Fact]
    public async Task No_command_is_a_usage_error()
    {
        CliResult r = await OsKillRun.RunAsync("run", "-v", "--");
        Assert.True(r.ExitCode == RunCommand.Failed, r.ToString());
        Assert.Contains("no command given", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_cannot_be_executed_gives_126()
    {
        string file = Path.Combine(Path.GetTempPath(), $"oskill-run-{Guid.NewGuid():N}");
        File.WriteAllText(file, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            CliResult r = await OsKillRun.RunAsync("run", "--", file);
            Assert.True(r.ExitCode == 126, r.ToString());
            Assert.Equal($"oskill run: cannot run '{file}': Permission denied\n", r.Stderr);

            r = await OsKillRun.RunAsync("run", "--", "/");
            Assert.True(r.ExitCode == 126, r.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_command_that_does_not_exist_gives_127()
    {
        CliResult r = await OsKillRun.RunAsync("run", "--", "oskill-no-such-command-xyz");
        Assert.True(r.ExitCode == 127, r.ToString());
        Assert.Equal("oskill run: cannot run 'oskill-no-such-command-xyz': command not found\n", r.Stderr);

        r = await OsKillRun.RunAsync("run", "/no/such/file");
        Assert.True(r.ExitCode == 127, r.ToString());
    }

    [Fact]
    public async Task Help_shows_the_run_options_and_statuses()
    {
        CliResult r = await OsKillRun.RunAsync("run", "--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("Usage: oskill run [OPTIONS] [--] CMD [ARGS]", r.Stdout, StringComparison.Ordinal);
        foreach (string option in new[] { "--timeout MS SIG", "--kill-mode", "--forward-to", "--preserve-status", "-r, --rewrite", "124", "125", "126", "127" })
        {
            Assert.Contains(option, r.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_two_timeout_grammars_make_the_same_chain()
    {
        RunOptions? oskill = RunArguments.Parse(["--timeout", "10000", "TERM", "--timeout", "2000", "KILL", "--", "cmd", "--timeout"], out _, out string? error);
        Assert.True(oskill is not null, error);
        RunOptions? gnu = RunArguments.Parse(["--timeout", "10s", "-s", "TERM", "-k", "2s", "cmd", "--timeout"], out _, out error);
        Assert.True(gnu is not null, error);
        ChainStep[] expected = [new(TimeSpan.FromSeconds(10), Signal.SIGTERM), new(TimeSpan.FromSeconds(2), Signal.SIGKILL)];
        Assert.Equal(expected, oskill!.Timeout);
        Assert.Equal(expected, gnu!.Timeout);
        Assert.Equal(["cmd", "--timeout"], oskill.Command);
        Assert.Equal(["cmd", "--timeout"], gnu.Command);
    }

    [Theory]
    [InlineData("10", 10_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("0.001s", 1)]
    public void Gnu_durations_take_seconds_and_units(string text, int ms)
    {
        RunOptions? options = RunArguments.Parse(["--timeout", text, "--", "cmd"], out _, out string? error);
        Assert.True(options is not null, error);
        Assert.Equal([new ChainStep(TimeSpan.FromMilliseconds(ms), Signal.SIGTERM)], options!.Timeout);
    }

    [Theory]
    [InlineData("--timeout", "10", "-k", "1s", "-s", "INT", "--timeout", "5", "KILL")]
    [InlineData("-k", "1s")]
    [InlineData("-r", "TERM")]
    [InlineData("-r", "PIPE:TERM")]
    [InlineData("-r", "TERM:NOPE")]
    [InlineData("--forward-to", "everyone")]
    [InlineData("--timeout", "10", "0")]
    public void Bad_combinations_are_refused(params string[] args)
    {
        RunOptions? options = RunArguments.Parse([.. args, "--", "cmd"], out bool help, out string? error);
        Assert.Null(options);
        Assert.False(help);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Rewrites_take_names_and_numbers_and_0_drops()
    {
        RunOptions? options = RunArguments.Parse(["-r", "TERM:QUIT", "-r", "10:0", "--forward-to", "group", "cmd"], out _, out string? error);
        Assert.True(options is not null, error);
        Assert.Equal(Signal.SIGQUIT, options!.Rewrites[Signal.SIGTERM]);
        Assert.Equal(0, options.Rewrites[Signal.SIGUSR1]);
        Assert.Equal(ForwardTarget.Group, options.ForwardTo);
    }
}
