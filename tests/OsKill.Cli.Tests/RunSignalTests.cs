using System.Diagnostics;
using System.Text.RegularExpressions;
using OsKill.Cli.Tests.Infrastructure;

namespace OsKill.Cli.Tests;

/// <summary>
/// <c>oskill run</c> forwards signals to CMD: a shell that reports what it gets (its traps run
/// between short sleeps) is CMD, and the test signals oskill itself.
/// </summary>
public partial class RunSignalTests
{
    // Prints "ready PID", then "got SIG" for each signal it receives, until it has seen TERM.
    private const string Reporter =
        "for s in INT HUP QUIT USR1 USR2 WINCH; do trap \"echo got $s\" $s; done; " +
        "trap 'echo got TERM; exit 0' TERM; echo ready $$; while :; do sleep 0.05; done";

    [Fact]
    public async Task Forwarded_signals_reach_cmd_and_a_rewritten_one_arrives_as_its_rewrite()
    {
        using Child run = await Child.StartCommandAsync([.. OsKillRun.Command, "run", "-r", "USR2:HUP", "-r", "WINCH:0", "--", "sh", "-c", Reporter]);
        int oskill = run.Process.Id;
        Assert.NotEqual(oskill, run.Pid);

        Os.Kill(oskill, Signal.SIGUSR1);
        await run.WaitForLineAsync("got USR1");
        Os.Kill(oskill, Signal.SIGWINCH); // dropped: the next line must be the rewrite of USR2
        Os.Kill(oskill, Signal.SIGUSR2);
        Assert.Equal("got HUP", await run.WaitForLineAsync(l => l.StartsWith("got ", StringComparison.Ordinal)));
        Os.Kill(oskill, Signal.SIGTERM);
        await run.WaitForLineAsync("got TERM");
        Assert.Equal(0, await run.WaitForExitAsync());
        Assert.DoesNotContain("got WINCH", run.Seen);
    }

    [Fact]
    public async Task Forwarding_works_when_oskill_inherited_the_signals_ignored_and_blocked()
    {
        // What a background job, nohup and the CI's second pass hand down: INT, QUIT and HUP
        // ignored, every signal but CHLD blocked. CMD still starts clean, and gets each one.
        const string hostile =
            "import os, signal, sys\n" +
            "for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP): signal.signal(s, signal.SIG_IGN)\n" +
            "signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGCHLD})\n" +
            "os.execv(sys.argv[1], sys.argv[1:])\n";
        const string cmd = "grep -E '^Sig(Blk|Ign)' /proc/self/status; " + Reporter;
        using Child run = await Child.StartCommandAsync(["/usr/bin/python3", "-c", hostile, .. OsKillRun.Command, "run", "--", "sh", "-c", cmd]);
        ulong blocked = Convert.ToUInt64(Field(run.Seen, "SigBlk"), 16);
        ulong ignored = Convert.ToUInt64(Field(run.Seen, "SigIgn"), 16);
        Assert.Equal(0UL, blocked);

        // glibc's posix_spawn leaves its two internal signals (32, 33) ignored; no libc lets a
        // program set them, and none else may be ignored.
        Assert.Equal(0UL, ignored & 0x7FFF_FFFFUL); // signals 1 to 31

        foreach ((int sig, string name) in new[] { (Signal.SIGINT, "INT"), (Signal.SIGQUIT, "QUIT"), (Signal.SIGHUP, "HUP") })
        {
            Os.Kill(run.Process.Id, sig);
            await run.WaitForLineAsync($"got {name}");
        }

        Os.Kill(run.Process.Id, Signal.SIGTERM);
        Assert.Equal(0, await run.WaitForExitAsync());
    }

    [Fact]
    public async Task Forward_to_all_reaches_a_member_in_a_session_of_its_own()
    {
        string flag = Path.Combine(Path.GetTempPath(), $"oskill-run-{Guid.NewGuid():N}");
        string cmd = $"setsid sh -c 'trap \"touch {flag}; exit 0\" USR1; touch {flag}.ready; while :; do sleep 0.05; done' & " +
            $"while [ ! -e {flag}.ready ]; do sleep 0.01; done; " + Reporter; // its trap is set before oskill is signalled
        using Child run = await Child.StartCommandAsync([.. OsKillRun.Command, "run", "--forward-to", "all", "--", "sh", "-c", cmd]);
        try
        {
            Os.Kill(run.Process.Id, Signal.SIGUSR1);
            await run.WaitForLineAsync("got USR1");
            var clock = Stopwatch.StartNew();
            while (!File.Exists(flag))
            {
                Assert.True(clock.Elapsed < Child.Timeout, "the setsid member never got USR1");
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            Os.Kill(run.Process.Id, Signal.SIGTERM);
            Assert.Equal(0, await run.WaitForExitAsync());
        }
        finally
        {
            File.Delete(flag);
            File.Delete(flag + ".ready");
        }
    }

    [Fact]
    public async Task Forward_to_group_reaches_every_process_of_cmd_group()
    {
        const string cmd = "f=$(mktemp -u); sh -c 'trap \"echo child got USR1\" USR1; touch \"$0\"; while :; do sleep 0.05; done' \"$f\" & " +
            "while [ ! -e \"$f\" ]; do sleep 0.01; done; rm -f \"$f\"; " + Reporter; // the child's trap is set first
        using Child run = await Child.StartCommandAsync([.. OsKillRun.Command, "run", "--forward-to", "group", "--", "sh", "-c", cmd]);
        Os.Kill(run.Process.Id, Signal.SIGUSR1);
        foreach (string line in new[] { "got USR1", "child got USR1" })
        {
            if (!run.Seen.Contains(line))
            {
                await run.WaitForLineAsync(line); // in either order
            }
        }
        Os.Kill(run.Process.Id, Signal.SIGTERM);
        Assert.Equal(0, await run.WaitForExitAsync());
    }

    [Fact]
    public async Task A_ctrl_c_typed_in_a_terminal_reaches_cmd_exactly_once()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/script"), "util-linux script(1) is not installed");

        // script(1) runs oskill on a new pseudo-terminal; the ^C written to its input is typed
        // there, and the terminal signals its foreground process group. CMD counts its SIGINTs,
        // and goes on for a while after the first so that a second one would be seen.
        const string counter =
            "read -r _ _ _ _ pgrp _ _ tpgid _ < /proc/$$/stat; echo \"group $pgrp foreground $tpgid\"; " +
            "n=0; trap 'n=$((n+1))' INT; echo ready $$; i=0; " +
            "while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); [ $n -gt 0 ] && [ $i -lt 580 ] && i=580; done; echo total INT $n";
        string inner = RunFixture.ShellQuoted([.. OsKillRun.Command, "run", "--", "sh", "-c", counter]);
        using Child script = await Child.StartCommandAsync(["/usr/bin/script", "-qefc", inner, "/dev/null"]);
        // CMD's own process group holds the terminal (so it may read it, and oskill gets no ^C).
        string group = script.Seen.Single(l => l.StartsWith("group ", StringComparison.Ordinal)).Trim();
        Assert.Equal($"group {script.Pid} foreground {script.Pid}", group);
        await script.Process.StandardInput.WriteAsync("\u0003");
        await script.Process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
        string total = await script.WaitForLineAsync(l => l.Contains("total INT", StringComparison.Ordinal));
        Assert.EndsWith("total INT 1", total.Trim(), StringComparison.Ordinal); // after the terminal's echo of ^C
        Assert.Equal(0, await script.WaitForExitAsync());
    }

    private static string Field(IReadOnlyList<string> lines, string key)
    {
        string line = lines.Single(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return WhiteSpace().Replace(line[(key.Length + 1)..], string.Empty);
    }

    [GeneratedRegex(@"\s")]
    private static partial Regex WhiteSpace();
}
