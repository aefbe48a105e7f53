using System.Diagnostics;
using System.Globalization;
using OsKill.Linux;
using OsKill.Linux.Tree;

namespace OsKill.Tests;

/// <summary>
/// ProcessTree.KillAsync against real process trees: a static bash tree, a tree that keeps
/// forking while it is killed, a member that forks from a second thread, and a member that escaped
/// by setsid and a double fork. Survivors are looked for by an environment marker that every
/// member inherits, and checked by pid and start time, so a reused pid never counts as alive.
/// Every test kills what it left behind.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class ProcessTreeTests
{
    private static readonly TimeSpan Grow = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_static_tree_is_killed_with_no_survivor_and_a_bystander_is_untouched()
    {
        string marker = Trees.NewMarker();
        string bystanderMarker = Trees.NewMarker();
        using Process root = Process.Start(Trees.StaticBashTree(marker))!;
        using Process bystander = Process.Start(Trees.StaticBashTree(bystanderMarker))!;
        try
        {
            await Trees.WaitForLineAsync(root, "ready", Grow);
            List<Trees.Seen> before = await Trees.WaitForAliveAsync(marker, Trees.StaticBashTreeSize, Grow);
            List<Trees.Seen> bystanders = await Trees.WaitForAliveAsync(bystanderMarker, Trees.StaticBashTreeSize, Grow);

            TreeKillResult result = await ProcessTree.KillAsync(root.Id, Ct);

            Assert.Equal(root.Id, result.KilledPids[0]);
            Assert.Equal(before.Select(s => s.Pid).Order(), result.KilledPids.Order());
            Assert.Equal(Trees.StaticBashTreeSize, result.KilledCount);
            Assert.Equal(0, result.ExitedDuringWalk);
            Assert.InRange(result.Rounds, 3, 10);
            Assert.DoesNotContain(before, Trees.StillAlive);
            Assert.Empty(Trees.Alive(marker));
            Assert.True(root.WaitForExit(10_000));
            Assert.Equal(128 + Signal.SIGKILL, root.ExitCode);

            // The other tree, a sibling under the same parent, was neither killed nor stopped.
            Assert.All(bystanders, s => Assert.True(Trees.StillAlive(s), $"bystander {s.Pid} died"));
            Assert.All(Trees.Alive(bystanderMarker), s => Assert.NotEqual('T', s.State));
        }
        finally
        {
            await Trees.CleanupAsync(marker);
            await Trees.CleanupAsync(bystanderMarker);
        }
    }

    [Fact]
    public async Task The_walk_by_a_scan_of_proc_kills_the_same_tree()
    {
        // Kernels without CONFIG_PROC_CHILDREN have no /proc/PID/task/TID/children: each round then
        // scans every /proc/PID/stat for parents. Forced here, since this kernel has the files.
        string marker = Trees.NewMarker();
        using Process root = Process.Start(Trees.StaticBashTree(marker))!;
        try
        {
            await Trees.WaitForLineAsync(root, "ready", Grow);
            List<Trees.Seen> before = await Trees.WaitForAliveAsync(marker, Trees.StaticBashTreeSize, Grow);

            TreeKillResult result = await LinuxProcessTree.KillAsync(root.Id, scanProc: true, CancellationToken.None);

            Assert.Equal(before.Select(s => s.Pid).Order(), result.KilledPids.Order());
            Assert.DoesNotContain(before, Trees.StillAlive);
            Assert.Empty(Trees.Alive(marker));
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task A_tree_that_keeps_forking_is_killed_with_no_survivor_in_five_runs()
    {
        // 150 members, each the child of another, and each forking a short-lived child every
        // 500 ms (300 forks a second in all): the tree is forking while it is frozen. SIGCHLD is
        // ignored in the tree, so the short-lived children are reaped at once and their pids are
        // free for reuse.
        const int Members = 150;
        var killed = new List<int>();
        for (int run = 0; run < 5; run++)
        {
            string marker = Trees.NewMarker();
            using Process root = Process.Start(Trees.ForkingTree(marker, Members, growMs: 10, churnMs: 500))!;
            try
            {
                await Trees.WaitForLineAsync(root, "grown", Grow);
                List<Trees.Seen> before = Trees.Alive(marker);
                Assert.True(before.Count >= Members, $"run {run}: the tree has {before.Count} members, expected {Members}");

                TreeKillResult result = await ProcessTree.KillAsync(root.Id, Ct);

                killed.Add(result.KilledCount);
                Assert.True(result.KilledCount >= Members, $"run {run}: {result}");
                Assert.DoesNotContain(before, Trees.StillAlive);
                List<Trees.Seen> survivors = Trees.Alive(marker);
                Assert.True(survivors.Count == 0, $"run {run}: {survivors.Count} survivors after {result}: {string.Join(", ", survivors.Take(10))}");
            }
            finally
            {
                await Trees.CleanupAsync(marker);
            }
        }

        Assert.Equal(5, killed.Count);
    }

    [Fact]
    public async Task Children_forked_by_a_second_thread_are_found()
    {
        // /proc/PID/task/TID/children lists the children of one thread: a walk that read only the
        // main thread's list would miss these.
        const string Script = """
            import subprocess, threading, time
            def spawn():
                subprocess.Popen(["sleep", "1000"])
                subprocess.Popen(["sleep", "1000"])
                time.sleep(1000)
            threading.Thread(target=spawn, daemon=True).start()
            time.sleep(1000)
            """;
        string marker = Trees.NewMarker();
        using Process root = Process.Start(Trees.Python(marker, Script))!;
        try
        {
            List<Trees.Seen> before = await Trees.WaitForAliveAsync(marker, 3, Grow);
            string mainThreadChildren = File.ReadAllText($"/proc/{root.Id}/task/{root.Id}/children");
            Assert.All(before.Where(s => s.Pid != root.Id), s => Assert.DoesNotContain(s.Pid.ToString(CultureInfo.InvariantCulture), mainThreadChildren.Split(' ')));

            TreeKillResult result = await ProcessTree.KillAsync(root.Id, Ct);

            Assert.Equal(3, result.KilledCount);
            Assert.DoesNotContain(before, Trees.StillAlive);
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task A_pidfd_root_is_killed_and_the_callers_handle_stays_open()
    {
        string marker = Trees.NewMarker();
        using Process root = Process.Start(Trees.StaticBashTree(marker))!;
        try
        {
            await Trees.WaitForLineAsync(root, "ready", Grow);
            List<Trees.Seen> before = await Trees.WaitForAliveAsync(marker, Trees.StaticBashTreeSize, Grow);
            using SafePidfdHandle pidfd = Os.PidfdOpen(root.Id);

            TreeKillResult result = await PidfdTree.KillAsync(pidfd, Ct);

            Assert.Equal(root.Id, result.KilledPids[0]);
            Assert.Equal(Trees.StaticBashTreeSize, result.KilledCount);
            Assert.DoesNotContain(before, Trees.StillAlive);
            Assert.False(pidfd.IsClosed);
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Theory]
    [InlineData(0, "own process group")]
    [InlineData(-1, "every process")]
    [InlineData(-42, "process group 42")]
    public void KillAsync_refuses_a_pid_of_0_or_less_before_anything_starts(int pid, string why)
    {
        // Thrown by the call itself, not by the task: nothing ran, so nothing was sent.
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = ProcessTree.KillAsync(pid, Ct); });
        Assert.Equal("rootPid", e.ParamName);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KillAsync_of_a_pid_that_does_not_exist_is_ProcessLookupException()
    {
        int pid = FreeIds.FindUnusedPid();
        ProcessLookupException e = await Assert.ThrowsAsync<ProcessLookupException>(() => ProcessTree.KillAsync(pid, Ct));
        Assert.Equal(pid, e.Pid);
        Assert.Contains(pid.ToString(CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_caller_and_its_ancestors_are_refused_roots()
    {
        // KillAsync refuses a root among these before sending anything (a stopped caller could not
        // finish the kill). Checked on the set itself: the test never aims a kill at its own tree.
        HashSet<int> refused = ProcFs.CallerAndAncestors();
        string stat = File.ReadAllText("/proc/self/stat");
        int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);

        Assert.Contains(Environment.ProcessId, refused);
        Assert.Contains(parent, refused);
        Assert.Contains(1, refused);
    }

    [Fact]
    public async Task A_cancelled_token_stops_nothing_and_kills_nothing()
    {
        string marker = Trees.NewMarker();
        using Process root = Process.Start(Trees.StaticBashTree(marker))!;
        try
        {
            await Trees.WaitForLineAsync(root, "ready", Grow);
            List<Trees.Seen> before = await Trees.WaitForAliveAsync(marker, Trees.StaticBashTreeSize, Grow);
            using var cts = new CancellationTokenSource();
            cts.Cancel();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ProcessTree.KillAsync(root.Id, cts.Token));

            Assert.All(before, s => Assert.True(Trees.StillAlive(s), $"pid {s.Pid} died"));
            Assert.All(Trees.Alive(marker), s => Assert.NotEqual('T', s.State));
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task Process_Kill_entireProcessTree_leaves_the_member_that_escaped_alive()
    {
        // The comparison: .NET's own tree kill walks parent links, as any walk does.
        string marker = Trees.NewMarker();
        using Process root = Process.Start(Trees.EscapingBashTree(marker))!;
        try
        {
            Trees.Seen escaped = await WaitForEscapedAsync(root, marker);

            root.Kill(entireProcessTree: true);
            Assert.True(root.WaitForExit(10_000));

            Assert.True(Trees.StillAlive(escaped), $"the escaped sleep {escaped.Pid} was killed by Process.Kill(true)");
            Assert.Equal([escaped.Pid], await SettledSurvivorsAsync(marker));
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task ProcessTree_cannot_reach_the_member_that_escaped_and_does_not_touch_it()
    {
        // The documented limit: once reparented to init, the escaped sleep is not in the tree. The
        // walk kills the rest and never signals it (it is not even stopped). ProcessContainer is the fix.
        string marker = Trees.NewMarker();
        using Process root = Process.Start(Trees.EscapingBashTree(marker))!;
        try
        {
            Trees.Seen escaped = await WaitForEscapedAsync(root, marker);

            TreeKillResult result = await ProcessTree.KillAsync(root.Id, Ct);

            Assert.Equal(3, result.KilledCount);
            Assert.DoesNotContain(escaped.Pid, result.KilledPids);
            Assert.True(Trees.StillAlive(escaped));
            Assert.Equal([escaped.Pid], Trees.Alive(marker).Select(s => s.Pid));

            // Not stopped and nothing pending: whether it runs or sleeps right now is the scheduler's business.
            ProcState.AssertUntouched(escaped.Pid);
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    /// <summary>Waits until the escaping tree has its 4 processes and the escaped one has left bash; returns it.</summary>
    internal static async Task<Trees.Seen> WaitForEscapedAsync(Process root, string marker)
    {
        await Trees.WaitForLineAsync(root, "ready", Grow);
        List<Trees.Seen> all = await Trees.WaitForSettledAsync(
            marker,
            4,
            root.Id,
            "sleep",
            Grow,
            alive => alive.Count(s => s.Pid != root.Id && s.ParentPid != root.Id) == 1);
        return all.Single(s => s.Pid != root.Id && s.ParentPid != root.Id);
    }

    /// <summary>The live marked pids once the count stops changing (Process.Kill returns before its victims are gone).</summary>
    internal static async Task<int[]> SettledSurvivorsAsync(string marker)
    {
        int[] last = [];
        for (int i = 0; i < 100; i++)
        {
            int[] now = Trees.Alive(marker).Select(s => s.Pid).Order().ToArray();
            if (i > 0 && now.SequenceEqual(last) && now.Length <= 1)
            {
                return now;
            }

            last = now;
            await Task.Delay(50, Ct);
        }

        return last;
    }
}
