using System.Diagnostics;
using System.Globalization;

namespace OsKill.Tests;

/// <summary>
/// ProcessContainer.StopAsync and Signal against real process trees in a real cgroup: the members
/// report the signals they get in a file, and the result must say which step ended each one, with
/// nothing left in the container.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class ContainerStopTests
{
    private static readonly TimeSpan Grow = TimeSpan.FromSeconds(30);

    private static readonly AsyncLocal<object?> s_scope = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Control_group_mode_sends_the_polite_signal_to_every_member_and_the_last_step_ends_the_stubborn_one()
    {
        RequireCgroups();
        string report = NewReport();
        string marker = Trees.NewMarker();
        using var container = new ProcessContainer();
        using Process main = container.Start(Trees.Bash(marker, $$"""
            export R='{{report}}'
            polite() { trap "echo polite \$BASHPID >> $R; exit 0" TERM; sleep 1000 & echo armed >> "$R.armed"; wait; }
            (polite) &
            (setsid bash -c "$(declare -f polite); polite") &
            (echo stubborn $BASHPID >> "$R"; trap '' TERM; exec sleep 1000) &
            trap "echo main \$BASHPID >> $R; exit 0" TERM
            sleep 1000 &
            echo ready
            wait
            """));
        try
        {
            await Trees.WaitForLineAsync(main, "ready", Grow);
            int stubborn = await ReportedPidAsync(report, "stubborn");
            await WaitForMembersAsync(container, 7, () => File.Exists(report + ".armed") && File.ReadAllLines(report + ".armed").Length == 2);

            ContainerStopResult result = await container.StopAsync(Chain(TimeSpan.FromSeconds(3)), cancellationToken: Ct);

            Assert.Equal(StopOutcome.ExitedAtStep, result.Outcome);
            Assert.Equal(1, result.StepIndex);
            Assert.Equal(Signal.SIGKILL, result.Step?.Signal);
            Assert.Equal(ContainerKillMode.ControlGroup, result.KillMode);
            ContainerMemberResult last = Assert.Single(result.Members, m => m.StepIndex == 1);
            Assert.Equal(stubborn, last.Pid);
            Assert.All(result.Members.Where(m => m.Pid != stubborn), m => Assert.Equal(0, m.StepIndex));
            Assert.True(result.Members.Single(m => m.Pid == main.Id).IsMain);
            string[] lines = await File.ReadAllLinesAsync(report, Ct);
            Assert.Equal(2, lines.Count(l => l.StartsWith("polite ", StringComparison.Ordinal)));
            Assert.Single(lines, l => l.StartsWith("main ", StringComparison.Ordinal));
            Assert.Empty(container.GetProcessIds());
            Assert.Empty(Trees.Alive(marker));
            Assert.Equal(0, result.MainExitStatus?.ExitCode);
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task Mixed_mode_sends_the_polite_signal_to_the_main_process_only_and_the_last_step_to_the_rest_as_soon_as_it_exits()
    {
        RequireCgroups();
        string report = NewReport();
        string marker = Trees.NewMarker();
        using var container = new ProcessContainer();
        using Process main = container.Start(Trees.Bash(marker, $$"""
            export R='{{report}}'
            (trap "echo helper \$BASHPID >> $R; exit 0" TERM; sleep 1000 & wait) &
            trap "echo main \$BASHPID >> $R; exit 7" TERM
            sleep 1000 &
            echo ready
            wait
            """));
        try
        {
            await Trees.WaitForLineAsync(main, "ready", Grow);
            await WaitForMembersAsync(container, 4);
            var grace = TimeSpan.FromSeconds(60);

            ContainerStopResult result = await container.StopAsync(Chain(grace), ContainerKillMode.Mixed, Ct);

            // The main process exited on its TERM; its helpers never got one, and the KILL went at
            // once instead of after the grace period.
            Assert.Equal(ContainerKillMode.Mixed, result.KillMode);
            Assert.Equal(1, result.StepIndex);
            Assert.True(result.Elapsed < grace / 2, result.ToString());
            Assert.Equal(0, Assert.Single(result.Members, m => m.IsMain).StepIndex);
            Assert.Equal(3, result.Members.Count(m => m.StepIndex == 1));
            Assert.Equal(["main " + main.Id], await File.ReadAllLinesAsync(report, Ct));
            Assert.Equal(7, result.MainExitStatus?.ExitCode);
            Assert.Empty(container.GetProcessIds());
            Assert.Empty(Trees.Alive(marker));
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task Mixed_mode_whose_main_process_has_exited_goes_to_the_last_step_at_once()
    {
        RequireCgroups();
        string marker = Trees.NewMarker();
        using var container = new ProcessContainer();

        // A daemon: the first process forks and exits at once.
        using Process main = container.Start(Trees.Bash(marker, "(sleep 1000 &) ; echo ready"));
        await Trees.WaitForLineAsync(main, "ready", Grow);
        await main.WaitForExitAsync(Ct);
        try
        {
            ContainerStopResult result = await container.StopAsync(Chain(TimeSpan.FromSeconds(60)), ContainerKillMode.Mixed, Ct);

            Assert.Equal(1, result.StepIndex);
            Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), result.ToString());
            Assert.Equal(1, Assert.Single(result.Members).StepIndex);
            Assert.DoesNotContain(result.Members, m => m.IsMain);
            Assert.Equal(main.Id, container.MainProcessId);
            Assert.Empty(container.GetProcessIds());
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task An_empty_container_is_already_stopped_and_nothing_is_sent()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        Assert.Null(container.MainProcessId);

        ContainerStopResult result = await container.StopAsync(cancellationToken: Ct);

        Assert.Equal(StopOutcome.AlreadyExited, result.Outcome);
        Assert.Null(result.StepIndex);
        Assert.Empty(result.Members);
        Assert.Null(result.MainExitStatus);
        Assert.Empty(container.Signal(Signal.SIGTERM));
    }

    [Fact]
    public async Task A_chain_of_polite_steps_only_leaves_the_stubborn_member_running_and_says_so()
    {
        RequireCgroups();
        string marker = Trees.NewMarker();
        using var container = new ProcessContainer();
        using Process main = container.Start(Trees.Bash(marker, "trap '' TERM; echo ready; exec sleep 1000"));
        await Trees.WaitForLineAsync(main, "ready", Grow);
        try
        {
            ContainerStopResult result = await container.StopAsync(
                new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(300))]),
                cancellationToken: Ct);

            Assert.Equal(StopOutcome.StillRunning, result.Outcome);
            Assert.False(result.Exited);
            Assert.Null(Assert.Single(result.Members).StepIndex);
            Assert.Equal([main.Id], container.GetProcessIds());
        }
        finally
        {
            await container.KillAsync(Ct);
        }
    }

    [Fact]
    public async Task Signal_reaches_every_member_once_and_returns_their_pids()
    {
        RequireCgroups();
        string report = NewReport();
        string marker = Trees.NewMarker();
        using var container = new ProcessContainer();
        using Process main = container.Start(Trees.Bash(marker, $$"""
            export R='{{report}}'
            usr1() { trap "echo usr1 \$BASHPID >> $R" USR1; sleep 1000 & echo armed >> "$R.armed"; while :; do wait; sleep 1000 & done; }
            (usr1) &
            (setsid bash -c "$(declare -f usr1); usr1") &
            usr1
            """));
        try
        {
            IReadOnlyList<int> members = await WaitForMembersAsync(container, 6, () => File.Exists(report + ".armed") && File.ReadAllLines(report + ".armed").Length == 3);

            IReadOnlyList<int> reached = container.Signal(Signal.SIGUSR1);

            // The sleeps die of SIGUSR1 (their default action), the three shells report it once each.
            Assert.Equal(members.Order(), reached.Order());
            DateTime deadline = DateTime.UtcNow + Grow;
            string[] lines = [];
            while (DateTime.UtcNow < deadline && (lines = File.Exists(report) ? await File.ReadAllLinesAsync(report, Ct) : []).Length < 3)
            {
                await Task.Delay(20, Ct);
            }

            await Task.Delay(200, Ct);
            lines = await File.ReadAllLinesAsync(report, Ct);
            Assert.Equal(3, lines.Length);
            Assert.Equal(3, lines.Distinct().Count());
            Assert.All(lines, l => Assert.Contains(int.Parse(l["usr1 ".Length..], CultureInfo.InvariantCulture), reached));
        }
        finally
        {
            await container.KillAsync(Ct);
        }
    }

    [Fact]
    public void Signal_refuses_a_number_that_is_not_a_signal_and_names_it()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        using Process sleep = container.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false });

        OsException e = Assert.Throws<OsException>(() => container.Signal(Signal.NSIG));

        Assert.Equal(22, e.Errno); // EINVAL
        Assert.Equal(Signal.NSIG, e.Signal);
        Assert.Contains(Signal.NSIG.ToString(CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Contains(container.CgroupPath!, e.Message, StringComparison.Ordinal);
        Assert.False(sleep.HasExited);
    }

    [Fact]
    public async Task A_veto_of_one_member_sends_the_step_to_none()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        using Process a = container.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false });
        using Process b = container.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false });
        object scope = new();
        var veto = new InvalidOperationException("not b");
        Assert.True(Audit.AddHook((name, args) =>
        {
            if (ReferenceEquals(s_scope.Value, scope) && name == "os.kill" && args is [int pid, int sig] && pid == b.Id && sig == Signal.SIGTERM)
            {
                throw veto;
            }
        }));

        s_scope.Value = scope;
        try
        {
            Assert.Same(veto, await Assert.ThrowsAsync<InvalidOperationException>(() => container.StopAsync(cancellationToken: Ct)));
            Assert.Same(veto, Assert.Throws<InvalidOperationException>(() => container.Signal(Signal.SIGTERM)));
            await Task.Delay(200, Ct);
            Assert.False(a.HasExited);
            Assert.False(b.HasExited);
        }
        finally
        {
            s_scope.Value = null;
            await container.KillAsync(Ct);
        }
    }

    [Fact]
    public async Task StopAsync_refuses_an_undefined_kill_mode()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => container.StopAsync(killMode: (ContainerKillMode)7, cancellationToken: Ct));
    }

    internal static StopOptions Chain(TimeSpan grace) =>
        new([StopStep.SendSignal(Signal.SIGTERM, grace), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(10))]);

    internal static void RequireCgroups()
    {
        if (!ProcessContainer.IsSupported)
        {
            Assert.Skip("no cgroup v2 hierarchy is mounted here (/proc/self/mountinfo has no cgroup2)");
        }
    }

    internal static async Task<IReadOnlyList<int>> WaitForMembersAsync(ProcessContainer container, int count, Func<bool>? also = null)
    {
        // The condition first, then the listing: a listing read before the condition came true can
        // hold a member that has gone since and lack one made since (CI saw a short-lived command
        // substitution listed in place of the sleep forked after it).
        DateTime deadline = DateTime.UtcNow + Grow;
        while (true)
        {
            bool ready = also is null || also();
            IReadOnlyList<int> pids = container.GetProcessIds();
            if (ready && pids.Count == count)
            {
                return pids;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the container has {pids.Count} members, not {count}");
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>A file path, not yet made, in a fresh directory of its own, for the members' reports.</summary>
    private static string NewReport() => Path.Combine(Directory.CreateTempSubdirectory("oskill-stop-").FullName, "report");

    private static async Task<int> ReportedPidAsync(string report, string what)
    {
        DateTime deadline = DateTime.UtcNow + Grow;
        while (true)
        {
            string? line = File.Exists(report)
                ? (await File.ReadAllLinesAsync(report, Ct)).FirstOrDefault(l => l.StartsWith(what + " ", StringComparison.Ordinal))
                : null;
            if (line is not null)
            {
                return int.Parse(line[(what.Length + 1)..], CultureInfo.InvariantCulture);
            }

            Assert.True(DateTime.UtcNow < deadline, $"no '{what}' line in {report}");
            await Task.Delay(20, Ct);
        }
    }
}
