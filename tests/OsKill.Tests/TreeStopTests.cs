using System.Diagnostics;

namespace OsKill.Tests;

/// <summary>
/// StopTreeAsync and KillTreeAsync on the handle and on Process, against real bash trees. The case
/// from the issue: a bash child with a background sleep, where a graceful stop of the one process
/// (like CliWrap's, or Process.Kill()) leaves the sleep running. Survivors are found by an
/// environment marker that every member inherits, wherever it was reparented.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class TreeStopTests
{
    private static readonly TimeSpan Grow = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task Stopping_only_the_root_leaves_the_background_sleep_running() =>
        WithBashTreeAsync("sleep 1000 & echo ready; wait", 2, async (bash, before, marker) =>
        {
            // The contrast: the one-process stop ends bash politely, and its child lives on.
            StopResult result = await bash.StopAsync(StopOptions.Graceful(TimeSpan.FromSeconds(10)), Ct);

            Assert.Equal(0, result.StepIndex);
            Assert.Single(await ProcessTreeTests.SettledSurvivorsAsync(marker));
        });

    [Fact]
    public Task StopTreeAsync_ends_bash_and_its_background_sleeps_in_the_polite_step() =>
        WithBashTreeAsync("sleep 1000 & sleep 1000 & echo ready; wait", 3, async (bash, before, marker) =>
        {
            TreeStopResult result = await bash.StopTreeAsync(StopOptions.Graceful(TimeSpan.FromSeconds(10)), Ct);

            Assert.True(result.Exited);
            Assert.Equal(StopOutcome.ExitedAtStep, result.Outcome);
            Assert.Equal(0, result.StepIndex);
            Assert.Equal(Signal.SIGTERM, result.Step?.Signal);
            Assert.Equal(3, result.MemberCount);
            Assert.Equal(0, result.KilledCount);
            Assert.DoesNotContain(before, Trees.StillAlive);
            Assert.Empty(Trees.Alive(marker));
            Assert.True(
                result.ExitStatus is { TerminatingSignal: 15 } or { ExitCode: 128 + 15 },
                $"bash should have died of SIGTERM: {result.ExitStatus}");
        });

    [Fact]
    public Task A_grandchild_that_ignores_SIGTERM_is_killed_in_the_forced_step_after_its_parent_is_gone() =>
        WithBashTreeAsync(
            "( trap '' TERM; exec sleep 1000 ) & sleep 1000 & echo ready; wait",
            3,
            async (bash, before, marker) =>
            {
                // bash dies of SIGTERM in the polite step, so the sleep that ignores SIGTERM is
                // reparented to init: no walk can find it any more. The stop still holds its pidfd
                // from the first freeze, so the forced step reaches it.
                var options = new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(500)), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(10))]);
                TreeStopResult result = await bash.StopTreeAsync(options, Ct);

                Assert.True(result.Exited, result.ToString());
                Assert.Equal(1, result.StepIndex);
                Assert.Equal(Signal.SIGKILL, result.Step?.Signal);
                Assert.Equal(3, result.MemberCount);
                Assert.Equal(1, result.KilledCount);
                Assert.DoesNotContain(before, Trees.StillAlive);
                Assert.Empty(Trees.Alive(marker));
            },
            alive => alive.Count(IsSleep) == 2);

    [Fact]
    public Task A_stopped_member_is_continued_so_that_it_can_act_on_SIGTERM() =>
        WithBashTreeAsync("sleep 1000 & echo ready; wait", 2, async (bash, before, marker) =>
        {
            Trees.Seen sleep = before.Single(s => s.Pid != bash.Id);
            Os.Kill(sleep.Pid, Signal.SIGSTOP);

            TreeStopResult result = await bash.StopTreeAsync(StopOptions.Graceful(TimeSpan.FromSeconds(10)), Ct);

            Assert.Equal(0, result.StepIndex);
            Assert.False(Trees.StillAlive(sleep));
        });

    [Fact]
    public async Task KillTreeAsync_on_Process_and_on_the_handle_leave_no_survivor()
    {
        foreach (bool viaHandle in new[] { false, true })
        {
            string marker = Trees.NewMarker();
            using Process root = Process.Start(Trees.StaticBashTree(marker))!;
            try
            {
                await Trees.WaitForLineAsync(root, "ready", Grow);
                List<Trees.Seen> before = await Trees.WaitForAliveAsync(marker, Trees.StaticBashTreeSize, Grow);

                TreeKillResult result;
                if (viaHandle)
                {
                    using var handle = ProcessHandle.FromProcess(root);
                    result = await handle.KillTreeAsync(Ct);
                    Assert.False(handle.IsAlive);
                }
                else
                {
                    result = await root.KillTreeAsync(Ct);
                }

                Assert.Equal(Trees.StaticBashTreeSize, result.KilledCount);
                Assert.DoesNotContain(before, Trees.StillAlive);
                Assert.Empty(Trees.Alive(marker));
            }
            finally
            {
                await Trees.CleanupAsync(marker);
            }
        }
    }

    [Fact]
    public Task A_stop_cancelled_before_it_starts_sends_nothing() =>
        WithBashTreeAsync("sleep 1000 & echo ready; wait", 2, async (bash, before, marker) =>
        {
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bash.StopTreeAsync(null, cancelled.Token));

            Assert.All(before, s => Assert.True(Trees.StillAlive(s)));
            Assert.All(Trees.Alive(marker), s => Assert.NotEqual('T', s.State));
        });

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ProcessTree_StopAsync_refuses_pid_0_and_negative_pids_before_anything_starts(int pid)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = ProcessTree.StopAsync(pid, null, Ct); });
        Assert.Contains("greater than 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopTreeAsync_of_the_callers_parent_is_refused_and_sends_nothing()
    {
        using var parent = ProcessHandle.Open(ParentPid());
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => parent.StopTreeAsync(null, Ct));
        Assert.Contains("ancestor", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Starts `bash -c script` with a fresh marker, waits for its "ready" line and for
    /// <paramref name="members"/> live members (and <paramref name="also"/>), runs the test, and
    /// kills whatever is left of the tree afterwards.
    /// </summary>
    internal static async Task WithBashTreeAsync(string script, int members, Func<Process, List<Trees.Seen>, string, Task> test, Func<List<Trees.Seen>, bool>? also = null)
    {
        string marker = Trees.NewMarker();
        using Process bash = Process.Start(Trees.Bash(marker, script))!;
        try
        {
            await Trees.WaitForLineAsync(bash, "ready", Grow);
            List<Trees.Seen> before = await Trees.WaitForAliveAsync(marker, members, Grow, also);
            await test(bash, before, marker);
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    private static int ParentPid()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether the process runs sleep now (the subshell has exec'd it).</summary>
    private static bool IsSleep(Trees.Seen s)
    {
        try
        {
            return File.ReadAllText($"/proc/{s.Pid}/comm").Trim() == "sleep";
        }
        catch (IOException)
        {
            return false;
        }
    }
}
