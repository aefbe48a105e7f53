using System.Diagnostics;
using OsKill.Cli.Run;
using OsKill.Cli.Tests.Infrastructure;

namespace OsKill.Cli.Tests;

/// <summary>
/// <c>oskill run</c> leaves nothing behind: the hostile fixture at a timeout (with GNU timeout and
/// tini -g run on the same fixture as anchors), what CMD leaves when it exits, a SIGKILL of oskill
/// itself, and the zombies it reaps as PID 1.
/// </summary>
public class RunContainmentTests(ITestOutputHelper output)
{
    public static TheoryData<string> Modes => ["cgroup", "--no-cgroup"];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task The_hostile_fixture_leaves_no_survivor_at_the_timeout(string mode)
    {
        using (RunFixture.Mark(out string mark))
        {
            string[] options = mode == "cgroup" ? ["-v"] : ["-v", mode];
            CliResult r = await OsKillRun.RunWithEnvironmentAsync(RunFixture.Marked(mark), ["run", .. options, "--timeout", "1s", "-k", "1s", "--", "sh", "-c", RunFixture.Hostile]);
            Assert.True(r.ExitCode == RunCommand.TimedOut, r.ToString());

            // oskill run returns only once the container is empty: nothing is left at that moment.
            List<int> left = RunFixture.Survivors(mark);
            Assert.True(left.Count == 0, $"survivors: {string.Join(' ', left)}\n{r}");
            output.WriteLine($"oskill run ({mode}) --timeout 1s -k 1s: {left.Count} survivors");
            output.WriteLine(r.Stderr);
        }
    }

    [Fact]
    public async Task Without_the_right_to_make_a_cgroup_it_falls_back_says_so_and_still_leaves_nothing()
    {
        // uid 65534 may create no cgroup here: oskill run must find that out by itself. It runs
        // from a copy that uid 65534 can reach (the clone may sit under a 0700 directory).
        Unprivileged.SkipUnlessRoot();
        if (Path.IsPathRooted(Child.DotnetHost) && SharedTempDirectory.WhyUnreachable(Child.DotnetHost) is string why)
        {
            Assert.Skip($"uid {Unprivileged.Uid} cannot run the dotnet host {Child.DotnetHost}: {why}");
        }

        string program = OsKillRun.Native ?? OsKillRun.Dll;
        string copy = Path.Combine(SharedTempDirectory.CopyDirectory(Path.GetDirectoryName(program)!, "oskill-run-unprivileged"), Path.GetFileName(program));
        string[] oskill = OsKillRun.Native is null ? [Child.DotnetHost, copy] : [copy];
        using (RunFixture.Mark(out string mark))
        {
            CliResult r = await OsKillRun.RunCommandAsync([.. Unprivileged.Wrapper, .. oskill, "run", "-v", "--timeout", "1s", "-k", "1s", "--", "sh", "-c", RunFixture.Hostile], RunFixture.Marked(mark));
            Assert.True(r.ExitCode == RunCommand.TimedOut, r.ToString());
            Assert.Contains("oskill run: no cgroup (", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("with oskill as its subreaper", r.Stderr, StringComparison.Ordinal);
            Assert.Empty(RunFixture.Survivors(mark));
        }
    }

    [Fact]
    public async Task The_anchors_on_the_same_fixture_leave_the_setsid_child()
    {
        // Measured, not asserted beyond what they are known to leave: these are other programs.
        using (RunFixture.Mark(out string mark))
        {
            // Its survivors keep the descriptors they inherited: give them none of the test's pipes.
            CliResult r = await OsKillRun.RunCommandAsync(["/bin/sh", "-c", "exec timeout -k 1 1 sh -c \"$1\" >/dev/null 2>&1", "sh", RunFixture.Hostile], RunFixture.Marked(mark));
            await Task.Delay(200, TestContext.Current.CancellationToken);
            List<int> left = RunFixture.Survivors(mark);
            output.WriteLine($"GNU timeout -k 1 1: exit {r.ExitCode}, {left.Count} survivors");
            Assert.NotEmpty(left);
        }

        Assert.SkipUnless(File.Exists("/usr/bin/tini"), "tini is not installed (apt-get install tini; .ci/run installs it)");
        using (RunFixture.Mark(out string mark))
        {
            // tini has no timeout: do what one would (TERM, which tini -g forwards to the child's
            // process group; a second later KILL, which it cannot catch).
            using Child tini = await Child.StartCommandAsync(["/usr/bin/env", $"{RunFixture.MarkVariable}={mark}", "/usr/bin/tini", "-g", "--", "sh", "-c", "echo ready $$; exec >/dev/null 2>&1; " + RunFixture.Hostile]);
            await RunFixture.WaitForMembersAsync(mark, 5);
            Os.Kill(tini.Process.Id, Signal.SIGTERM);
            await Task.Delay(1000, TestContext.Current.CancellationToken);
            try
            {
                Os.Kill(tini.Process.Id, Signal.SIGKILL);
            }
            catch (ProcessLookupException)
            {
                // tini has exited already: the TERM reached the fixture's shell before its trap was
                // set (a member counted above may be the short-lived subshell), and tini followed it.
            }
            int exit = await tini.WaitForExitAsync();
            await Task.Delay(200, TestContext.Current.CancellationToken);
            List<int> left = RunFixture.Survivors(mark);
            output.WriteLine($"tini -g, TERM, KILL 1 s later: exit {exit}, {left.Count} survivors");
            Assert.NotEmpty(left);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task What_cmd_leaves_when_it_exits_is_stopped_before_oskill_returns(string mode)
    {
        using (RunFixture.Mark(out string mark))
        {
            string[] options = mode == "cgroup" ? ["-v"] : ["-v", mode];
            var clock = Stopwatch.StartNew();
            CliResult r = await OsKillRun.RunWithEnvironmentAsync(RunFixture.Marked(mark), ["run", .. options, "--grace", "1s", "--", "sh", "-c", "setsid sleep 1000 & (sleep 1000 &); (trap '' TERM; sleep 1000) & exit 5"]);
            Assert.True(r.ExitCode == 5, r.ToString());
            Assert.Empty(RunFixture.Survivors(mark));
            Assert.Contains("CMD left members behind", r.Stderr, StringComparison.Ordinal);
            output.WriteLine($"{mode}: {clock.ElapsedMilliseconds} ms\n{r.Stderr}");
        }
    }

    [Theory]
    [InlineData("control-group", true)]
    [InlineData("mixed", false)]
    public async Task The_kill_mode_says_whether_the_polite_step_reaches_the_other_members(string mode, bool childGetsTerm)
    {
        const string cmd =
            "f=$(mktemp -u); sh -c 'trap \"echo child got TERM; exit 0\" TERM; touch \"$0\"; while :; do sleep 0.05; done' \"$f\" & " +
            "while [ ! -e \"$f\" ]; do sleep 0.01; done; rm -f \"$f\"; " +
            "trap 'echo main got TERM; exit 0' TERM; while :; do sleep 0.05; done";
        CliResult r = await OsKillRun.RunAsync("run", "-v", "--kill-mode", mode, "--timeout", "2000", "TERM", "--timeout", "5000", "KILL", "--", "sh", "-c", cmd);
        Assert.True(r.ExitCode == RunCommand.TimedOut, r.ToString());
        Assert.Contains("main got TERM", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(childGetsTerm, r.Stdout.Contains("child got TERM", StringComparison.Ordinal));
        Assert.Contains($"; {mode}; ", r.Stderr, StringComparison.Ordinal); // the ContainerStopResult line
    }

    [Fact]
    public async Task Kill_9_of_oskill_run_leaves_no_survivor()
    {
        using (RunFixture.Mark(out string mark))
        {
            using Child run = await Child.StartCommandAsync(["/usr/bin/env", $"{RunFixture.MarkVariable}={mark}", .. OsKillRun.Command, "run", "-v", "--", "sh", "-c", "echo ready $$; " + RunFixture.Hostile]);
            await RunFixture.WaitForMembersAsync(mark, 5); // oskill, sh and the three sleeps
            int cmd = run.Pid;
            Assert.SkipWhen(ProcCgroupIsParent(cmd, run.Process.Id), "no cgroup could be made here: the fallback mode covers only CMD itself on SIGKILL (docs/run.md)");

            Os.Kill(run.Process.Id, Signal.SIGKILL);
            (List<int> left, TimeSpan elapsed) = await RunFixture.WaitForNoSurvivorsAsync(mark, TimeSpan.FromSeconds(5));
            output.WriteLine($"kill -9 of oskill run: {left.Count} survivors, the last gone {elapsed.TotalMilliseconds:0} ms after the kill");
            Assert.True(left.Count == 0, $"survivors: {string.Join(' ', left)}");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task As_pid_1_it_reaps_every_orphan(string mode)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/unshare"), "util-linux unshare is not installed");

        // The orphans exit while CMD still runs; CMD then counts the zombies of its pid namespace.
        const string cmd =
            "(sleep 0.2 &); (sleep 0.3 &); setsid sh -c 'sleep 0.2 & exit 0' & " +
            "sleep 1.5; echo zombies $(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l); exit 7";
        string[] options = mode == "cgroup" ? ["-v"] : ["-v", mode];
        CliResult r = await OsKillRun.RunCommandAsync(["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", .. OsKillRun.Command, "run", .. options, "--", "sh", "-c", cmd]);
        Assert.SkipWhen(r.Stderr.StartsWith("unshare:", StringComparison.Ordinal), $"no new pid namespace here: {r.Stderr}");
        Assert.True(r.ExitCode == 7, r.ToString());
        Assert.Equal("zombies 0\n", r.Stdout);
        Assert.Contains("PID 1: reaps orphans", r.Stderr, StringComparison.Ordinal);
    }

    // In the fallback mode CMD's cgroup is oskill's own; with a container it is a cgroup below it.
    private static bool ProcCgroupIsParent(int cmd, int oskill)
    {
        string Cgroup(int pid) => File.ReadAllLines($"/proc/{pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal));
        return Cgroup(cmd) == Cgroup(oskill);
    }
}
