using System.Diagnostics;
using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;

namespace OsKill.Cli.Tests;

/// <summary>
/// --timeout MS SIG: send the signal, wait through a process handle, escalate. The process ends by
/// the follow-up signal when it ignores the first.
/// </summary>
public class TimeoutTests
{
    [Fact]
    public async Task A_process_that_ignores_TERM_ends_by_the_follow_up()
    {
        using Child stubborn = await StartIgnoringTermAsync();
        var clock = Stopwatch.StartNew();
        CliResult r = await OsKillRun.RunAsync("-v", "--timeout", "300", "KILL", Text(stubborn.Pid));
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(128 + 9, await stubborn.WaitForExitAsync());
        Assert.True(clock.ElapsedMilliseconds >= 300, $"{clock.ElapsedMilliseconds} ms");

        string[] lines = r.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal($"sending signal 15 (TERM) to pid {stubborn.Pid}: ok", lines[0]);
        Assert.Equal($"timeout after 300 ms, sending signal 9 (KILL) to pid {stubborn.Pid}: ok", lines[1]);
        Assert.Equal(string.Empty, r.Stderr);
    }

    [Theory]
    [InlineData("4000000 is not a signal", "--timeout", "2000", "4000000")]
    [InlineData("FOO is not a signal", "--timeout", "2000", "KILL", "--timeout", "100", "FOO")]
    [InlineData("invalid --timeout 'KILL'", "--timeout", "KILL", "2000")]
    public async Task A_timeout_chain_that_does_not_parse_shows_its_grammar_and_sends_nothing(string what, params string[] args)
    {
        // `oskill --timeout 2000 4000000` (a pid where the signal goes, as after GNU timeout's
        // DURATION): say what --timeout takes, not only what is wrong.
        using Child sleep = await StartSleepAsync();
        CliResult r = await OsKillRun.RunAsync([.. args, Text(sleep.Pid)]);
        Expect.UsageError(r, "--timeout takes MS SIG pairs (wait MS milliseconds, then send SIG), as in --timeout 2000 INT --timeout 1000 KILL");
        Assert.Contains(what, r.Stderr, StringComparison.Ordinal);
        Assert.False(sleep.Process.HasExited);
    }

    [Fact]
    public async Task Every_step_of_a_chain_is_delivered_in_order()
    {
        int term = Signal.SIGTERM;
        int hup = Signal.SIGHUP;
        using Child child = await Child.StartAsync("catch", Text(term), Text(hup));

        // The child's handler must print "got HUP" before the KILL: 2 s leaves room on a busy machine.
        CliResult r = await OsKillRun.RunAsync("--timeout", "200", "HUP", "--timeout", "2000", "KILL", Text(child.Pid));
        Expect.Quiet(r);
        Assert.Equal(128 + 9, await child.WaitForExitAsync());
        await child.ReadToEndAsync();
        Assert.Equal([$"got {term}", $"got {hup}"], child.Seen.Where(l => l.StartsWith("got ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task No_follow_up_once_the_process_has_exited()
    {
        using Child sleep = await StartSleepAsync();
        var clock = Stopwatch.StartNew();
        CliResult r = await OsKillRun.RunAsync("-v", "--timeout", "20000", "KILL", Text(sleep.Pid));
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"it waited {clock.Elapsed} for a process that had exited");
        Assert.Equal(128 + Signal.SIGTERM, await sleep.WaitForExitAsync());
        string[] lines = r.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal($"sending signal 15 (TERM) to pid {sleep.Pid}: ok", lines[0]);
        Assert.StartsWith($"pid {sleep.Pid} exited after ", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Targets_escalate_side_by_side_and_count_toward_the_status()
    {
        using Child a = await StartIgnoringTermAsync();
        using Child b = await StartIgnoringTermAsync();
        var clock = Stopwatch.StartNew();
        CliResult r = await OsKillRun.RunAsync("--timeout", "1000", "KILL", Text(a.Pid), Text(b.Pid), Text(NoSuchProcess()), $"-{NoSuchProcess()}");
        Expect.Clean(r);
        Assert.Equal(64, r.ExitCode);
        Assert.Equal(137, await a.WaitForExitAsync());
        Assert.Equal(137, await b.WaitForExitAsync());
        Assert.Contains($"oskill: ({NoSuchProcess()}): No such process\n", r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"oskill: (-{NoSuchProcess()}): --timeout needs a process id, not a process group\n", r.Stderr, StringComparison.Ordinal);

        // Both waited at once: well under the 2 s that one after the other would take (generous for a loaded machine).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task Timeout_on_targets_that_do_not_exist_fails()
    {
        CliResult r = await OsKillRun.RunAsync("--timeout", "10", "KILL", Text(NoSuchProcess()));
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"oskill: ({NoSuchProcess()}): No such process\n", r.Stderr);
    }
}
