using System.Diagnostics;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Tests.Core;

/// <summary>
/// The tree skeleton's logic over a fake backend, with no process involved: rounds, members that
/// fork during the walk or exit in the middle of it, refusals, members that never stop, vetoes,
/// failed reads, and the step chain of a tree stop. The same behaviours are tested on real process
/// trees in ProcessTreeTests, TreeStopTests and TreeHardeningTests.
/// </summary>
public class TreeSkeletonTests
{
    private static readonly AsyncLocal<Func<int, int, bool>?> s_veto = new();
    private static readonly Lazy<bool> s_hook = new(() => Audit.AddHook((name, args) =>
    {
        if (name == "os.kill" && s_veto.Value is { } veto && veto((int)args[0]!, (int)args[1]!))
        {
            throw new InvalidOperationException($"vetoed {args[1]} to {args[0]}");
        }
    }));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_kill_reaches_every_member_of_a_three_level_tree_and_reports_them_all()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 3, grandchildren: 2);
        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TreeKillResult result = await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        Assert.Equal(all.Select(p => p.Pid).Order(), result.KilledPids.Order());
        Assert.Equal(root.Pid, result.KilledPids[0]);
        Assert.All(all, p => Assert.True(p.Exited, $"{p.Pid} survived"));
        Assert.All(all, p => Assert.Equal([Signal.SIGSTOP, Signal.SIGKILL], p.Received));
        Assert.True(result.Rounds >= 3, $"{result.Rounds} rounds");
        Assert.Equal(0, result.ExitedDuringWalk);
    }

    [Fact]
    public async Task Members_that_fork_while_the_walk_runs_are_all_found_and_killed()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> _) = world.Tree(children: 2, grandchildren: 1);
        foreach (FakeProcess p in world.Processes.Values.ToList())
        {
            p.ForksLeft = 3; // a child each time it is listed before its SIGSTOP takes effect
        }

        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TreeKillResult result = await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        var everyone = world.Processes.Values.ToList();
        Assert.True(everyone.Count > 5, "the members forked nothing: the test tests nothing");
        Assert.All(everyone, p => Assert.True(p.Exited, $"{p.Pid} (child of {p.Parent}) escaped the kill"));
        Assert.Equal(everyone.Count, result.KilledCount);
    }

    [Fact]
    public async Task A_member_that_exits_during_the_walk_takes_its_children_out_and_nothing_is_sent_to_them()
    {
        var world = new FakeWorld();
        FakeProcess root = world.Spawn();
        FakeProcess middle = world.Spawn(root.Pid);
        FakeProcess orphan = world.Spawn(middle.Pid);
        middle.ExitsWhenListed = true;
        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TreeKillResult result = await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        Assert.Equal([root.Pid], result.KilledPids);
        Assert.Equal(1, result.ExitedDuringWalk);
        Assert.Empty(orphan.Received);
        Assert.False(orphan.Exited);
        Assert.Equal(1, orphan.Parent);
    }

    [Fact]
    public async Task A_kill_with_a_member_that_never_stops_kills_everyone_and_then_says_who_did_not_stop()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 1);
        FakeProcess stuck = all[^1];
        stuck.NeverStops = true;
        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TimeoutException e = await Assert.ThrowsAsync<TimeoutException>(() => tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct));

        Assert.Contains($"pid {stuck.Pid} (never stops) did not stop within", e.Message, StringComparison.Ordinal);
        Assert.Contains($"All {all.Count} members found were sent SIGKILL and have exited", e.Message, StringComparison.Ordinal);
        Assert.All(all, p => Assert.True(p.Exited));
    }

    [Fact]
    public async Task A_stop_whose_polite_step_meets_a_member_that_never_stops_still_runs_its_last_step_and_names_the_member()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 1);
        foreach (FakeProcess p in all)
        {
            p.ExitsOnPolite = false;
        }

        FakeProcess stuck = all[^1];
        stuck.NeverStops = true;
        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);
        var options = new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(50)), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(5))]);

        TreeStopResult result = await TreeStop.RunAsync(tree, options, Ct);

        Assert.True(result.Exited);
        Assert.Equal(1, result.StepIndex);
        Assert.Equal([stuck.Pid], result.NotFrozenPids);
        Assert.Equal(all.Count, result.KilledCount);
        Assert.All(all, p => Assert.Contains(Signal.SIGKILL, p.Received));
    }

    [Fact]
    public async Task Two_kill_steps_that_reach_the_same_members_count_each_member_once()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 1);
        foreach (FakeProcess p in all)
        {
            p.KillsToDie = 2; // still there when the first, 0 ms, kill step's wait ends
        }

        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);
        var options = new StopOptions([StopStep.SendSignal(Signal.SIGKILL, TimeSpan.Zero), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(5))]);

        TreeStopResult result = await TreeStop.RunAsync(tree, options, Ct);

        Assert.Equal(1, result.StepIndex);
        Assert.All(all, p => Assert.Equal(2, p.Received.Count(s => s == Signal.SIGKILL)));
        Assert.Equal(all.Count, result.KilledCount);
        Assert.Equal(all.Count, result.MemberCount);
    }

    [Fact]
    public async Task A_member_that_refuses_the_kill_is_named_in_the_error_and_the_others_are_killed()
    {
        var world2 = new FakeWorld();
        (FakeProcess root2, List<FakeProcess> all2) = world2.Tree(children: 2, grandchildren: 0);
        var backend2 = new RefusingKillBackend(world2, all2[1].Pid);
        using var tree2 = new TreeSkeleton<FakeMember>(backend2, FakeTreeBackend.Root(root2), m => m.Released = true);

        PermissionDeniedException e = await Assert.ThrowsAsync<PermissionDeniedException>(() => tree2.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct));

        Assert.Equal(all2[1].Pid, e.Pid);
        Assert.Equal(Signal.SIGKILL, e.Signal);
        Assert.Contains($"fake {all2[1].Pid}", e.Message, StringComparison.Ordinal);
        Assert.True(all2[0].Exited && all2[2].Exited);
        Assert.False(all2[1].Exited);
    }

    [Fact]
    public async Task A_veto_of_one_grandchilds_freeze_thaws_everything_the_freeze_stopped_and_reaches_the_caller_unchanged()
    {
        Assert.True(s_hook.Value);
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 2);
        FakeProcess vetoed = all[^1];
        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);
        s_veto.Value = (pid, sig) => pid == vetoed.Pid && sig == Signal.SIGSTOP;

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct));

        Assert.Contains($"vetoed {Signal.SIGSTOP} to {vetoed.Pid}", e.Message, StringComparison.Ordinal);
        Assert.All(all, p => Assert.False(p.Stopped || p.StopPending, $"{p.Pid} was left stopped"));
        Assert.All(all, p => Assert.DoesNotContain(Signal.SIGKILL, p.Received));
        Assert.Empty(vetoed.Received);
    }

    [Fact]
    public async Task A_veto_of_one_members_kill_kills_nobody_and_thaws_the_tree()
    {
        Assert.True(s_hook.Value);
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 3, grandchildren: 1);
        FakeProcess vetoed = all[2];
        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);
        s_veto.Value = (pid, sig) => pid == vetoed.Pid && sig == Signal.SIGKILL;

        await Assert.ThrowsAsync<InvalidOperationException>(() => tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct));

        Assert.All(all, p => Assert.DoesNotContain(Signal.SIGKILL, p.Received));
        Assert.All(all, p => Assert.False(p.Exited || p.Stopped || p.StopPending));
        Assert.All(all, p => Assert.Equal(Signal.SIGCONT, p.Received[^1]));
    }

    [Fact]
    public async Task A_children_list_that_cannot_be_read_fails_the_kill_with_the_errno_and_thaws_the_tree_instead_of_reporting_it_killed()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 2);
        FakeProcess unreadable = all[1];
        unreadable.ListFailsWith = Errno.EMFILE;
        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        OsException e = await Assert.ThrowsAsync<OsException>(() => tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct));

        Assert.Equal(Errno.EMFILE, e.Errno);
        Assert.Equal(unreadable.Pid, e.Pid);
        Assert.All(all, p => Assert.DoesNotContain(Signal.SIGKILL, p.Received));
        Assert.All(all, p => Assert.False(p.Exited || p.Stopped || p.StopPending, $"{p.Pid} left exited or stopped"));
    }

    [Fact]
    public async Task A_stop_whose_first_step_finds_nothing_alive_reports_already_exited_and_sends_nothing()
    {
        var world = new FakeWorld();
        FakeProcess root = world.Spawn();
        var backend = new FakeTreeBackend(world);
        FakeMember member = FakeTreeBackend.Root(root);
        world.Reap(root);
        using var tree = new TreeSkeleton<FakeMember>(backend, member, m => m.Released = true);

        TreeStopResult result = await TreeStop.RunAsync(tree, StopOptions.Graceful(TimeSpan.FromSeconds(1)), Ct);

        Assert.Equal(StopOutcome.AlreadyExited, result.Outcome);
        Assert.Null(result.StepIndex);
        Assert.Empty(root.Received);
    }

    [Fact]
    public async Task Cancelling_before_the_kill_thaws_the_tree_and_kills_nothing()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 1);
        var backend = new FakeTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), cancelled.Token));

        Assert.All(all, p => Assert.DoesNotContain(Signal.SIGKILL, p.Received));
        Assert.All(all, p => Assert.False(p.Stopped || p.StopPending));
    }

    [Fact]
    public async Task Disposing_the_tree_releases_every_member_it_admitted()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> _) = world.Tree(children: 2, grandchildren: 1);
        var backend = new FakeTreeBackend(world);
        FakeMember rootMember = FakeTreeBackend.Root(root);
        var tree = new TreeSkeleton<FakeMember>(backend, rootMember, m => m.Released = true);
        await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        tree.Dispose();

        Assert.True(rootMember.Released);
        Assert.NotEmpty(backend.Admitted);
        Assert.All(backend.Admitted, m => Assert.True(m.Released));
    }

    /// <summary>A fake backend where one member refuses SIGKILL (EPERM) after taking its SIGSTOP.</summary>
    private sealed class RefusingKillBackend(FakeWorld world, int refusing) : ITreeBackend<FakeMember>
    {
        private readonly FakeTreeBackend _inner = new(world);

        public int KillSignal => _inner.KillSignal;

        public string KillName => _inner.KillName;

        public string FreezeName => _inner.FreezeName;

        public string SendOperation => _inner.SendOperation;

        public TimeSpan StopLimit => _inner.StopLimit;

        public TimeSpan SpinLimit => _inner.SpinLimit;

        public int ThawSignal => _inner.ThawSignal;

        public void BeginRound() => _inner.BeginRound();

        public bool ListChildren(FakeMember parent, List<int> into) => _inner.ListChildren(parent, into);

        public bool HoldsPid(FakeMember member) => _inner.HoldsPid(member);

        public FakeMember? Admit(int pid, Func<int, FakeMember?> liveMember) => _inner.Admit(pid, liveMember);

        public void Freeze(FakeMember member) => _inner.Freeze(member);

        public bool IsQuiet(FakeMember member, bool thorough) => _inner.IsQuiet(member, thorough);

        public string DescribeNotStopped(FakeMember member) => _inner.DescribeNotStopped(member);

        public int Send(FakeMember member, int sig) =>
            member.Pid == refusing && sig == Signal.SIGKILL ? Errno.EPERM : _inner.Send(member, sig);

        public int Thaw(FakeMember member) => _inner.Thaw(member);

        public Task<List<FakeMember>> WaitForExitAsync(List<FakeMember> members, long deadline, CancellationToken cancellationToken) =>
            _inner.WaitForExitAsync(members, Deadline.After(TimeSpan.FromMilliseconds(300)), cancellationToken);
    }
}
