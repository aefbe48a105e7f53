using System.Diagnostics;
using OsKill.Core;

namespace OsKill.Tests.Core;

/// <summary>
/// The skeleton's behaviours that a backend opts into, over a fake with Windows' shape
/// (<see cref="FakeHandleTreeBackend"/>): members held by handles keep their pids after they exit,
/// freezes take effect at once, a kill walks again after its members have exited, a group signal
/// (a console event) is sent once, console hosts are ended last, and a walk without freezing is
/// bounded. The same behaviours are tested against real Windows processes by OsKill.WindowsTests.
/// </summary>
public class HandleTreeSkeletonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_orphan_of_an_exited_parent_that_is_still_held_is_found_through_that_parent_and_killed()
    {
        var world = new FakeWorld();
        FakeProcess root = world.Spawn();
        FakeProcess held = world.Spawn(root.Pid);
        FakeProcess orphan = world.Spawn(held.Pid);
        held.Exited = true; // exited, not reaped: a handle keeps it, and the orphan still names it
        var backend = new FakeHandleTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TreeKillResult result = await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        Assert.Equal([root.Pid, orphan.Pid], result.KilledPids.Order());
        Assert.True(orphan.Exited, "the orphan survived");
        Assert.Contains(held.Pid, tree.Members.Select(m => m.Pid));
        Assert.Empty(held.Received);
        Assert.Equal(1, result.ExitedDuringWalk);
    }

    [Fact]
    public async Task A_child_created_as_its_parent_is_killed_is_found_by_the_walk_after_the_exits_and_killed_too()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 0);
        all[1].ForksAsItDies = true;
        var backend = new FakeHandleTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TreeKillResult result = await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        FakeProcess late = Assert.Single(world.ChildrenOf(all[1].Pid));
        Assert.True(late.Exited, "the late child survived");
        Assert.Equal([Signal.SIGSTOP, Signal.SIGKILL], late.Received);
        Assert.Equal(4, result.KilledPids.Count);
        Assert.All(all, p => Assert.Equal([Signal.SIGSTOP, Signal.SIGKILL], p.Received));
    }

    [Fact]
    public async Task A_freeze_that_takes_effect_at_once_does_not_wait_for_the_members_to_become_quiet()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> _) = world.Tree(children: 2, grandchildren: 1);
        var backend = new FakeHandleTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TreeKillResult result = await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        // One round finds every member (breadth first), one finds nothing; then one walk after the exits.
        Assert.Equal(3, result.Rounds);
        Assert.Equal(0, backend.QuietChecks);
    }

    [Fact]
    public async Task Console_hosts_are_ended_after_every_other_member()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 3, grandchildren: 0);
        var backend = new FakeHandleTreeBackend(world) { Hosts = [all[1].Pid] };
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TreeKillResult result = await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        Assert.Equal(4, result.KilledPids.Count);
        Assert.Equal(all[1].Pid, result.KilledPids[^1]);
        Assert.Equal(all[1].Pid, backend.Killed[^1]);
    }

    [Fact]
    public async Task A_group_step_walks_without_freezing_sends_once_and_waits_for_every_member()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 1);
        var backend = new FakeHandleTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);
        var options = new StopOptions([StopStep.SendSignal(Signal.SIGINT, TimeSpan.FromSeconds(5)), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(5))]);

        TreeStopResult result = await TreeStop.RunAsync(tree, options, Ct);

        Assert.Equal(0, result.StepIndex);
        Assert.Equal(1, backend.GroupSends);
        Assert.Equal(all.Count, result.MemberCount);
        Assert.Equal(0, result.KilledCount);
        Assert.All(all, p => Assert.True(p.Exited, $"{p.Pid} survived"));
        Assert.All(all, p => Assert.DoesNotContain(Signal.SIGSTOP, p.Received));
    }

    [Fact]
    public async Task A_step_with_another_ending_signal_kills_every_member_and_thaws_none()
    {
        var world = new FakeWorld();
        (FakeProcess root, List<FakeProcess> all) = world.Tree(children: 2, grandchildren: 0);
        var backend = new FakeHandleTreeBackend(world);
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);
        var options = new StopOptions([StopStep.SendSignal(FakeHandleTreeBackend.ExitCode, TimeSpan.FromSeconds(5))]);

        TreeStopResult result = await TreeStop.RunAsync(tree, options, Ct);

        Assert.Equal(0, result.StepIndex);
        Assert.Equal(all.Count, result.KilledCount);
        Assert.All(all, p => Assert.Equal([Signal.SIGSTOP, FakeHandleTreeBackend.ExitCode], p.Received));
    }

    [Fact]
    public async Task Without_freezing_a_tree_that_never_stops_forking_is_walked_a_bounded_number_of_rounds_and_still_ended()
    {
        var world = new FakeWorld();
        FakeProcess root = world.Spawn();
        root.ForksLeft = 1000;
        var backend = new FakeHandleTreeBackend(world) { Freezes = false };
        using var tree = new TreeSkeleton<FakeMember>(backend, FakeTreeBackend.Root(root), m => m.Released = true);

        TreeKillResult result = await tree.KillAsync(TimeSpan.Zero, Stopwatch.StartNew(), Ct);

        Assert.InRange(result.Rounds, TreeSkeleton<FakeMember>.UnfrozenRounds, TreeSkeleton<FakeMember>.UnfrozenRounds + 3);
        Assert.All(world.Processes.Values, p => Assert.True(p.Exited, $"{p.Pid} survived"));
        Assert.All(world.Processes.Values, p => Assert.DoesNotContain(Signal.SIGSTOP, p.Received));
    }
}
