using System.Diagnostics;
using OsKill.Core;

namespace OsKill.Tests;

/// <summary>
/// The life of a wait, against real processes: step timeouts of any length (up to
/// TimeSpan.MaxValue) neither throw half-way through a stop nor overflow into an immediate kill;
/// disposing a handle ends the waits and stops pending on it, sends nothing more and closes the
/// pidfd; and the process-wide exit watcher takes any number of waits, is made again after a
/// failed first attempt, and fails its pending waits (without spinning) when epoll_wait fails. What
/// a test host must not do to its own watcher runs in the test child (WatcherModes.cs).
/// </summary>
public class WaitLifecycleTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Timeouts past what a timer holds: TimeSpan.MaxValue, 50 days (past CancelAfter's 49.7), 200 days (past a long of ms × 10⁹).</summary>
    public static TheoryData<long> HugeTimeouts => [TimeSpan.MaxValue.Ticks, TimeSpan.FromDays(50).Ticks, TimeSpan.FromDays(200).Ticks];

    [Fact]
    public void Deadlines_saturate_instead_of_overflowing()
    {
        Assert.Equal(long.MaxValue, Deadline.After(TimeSpan.MaxValue));
        Assert.Equal(long.MaxValue, Deadline.After(Timeout.InfiniteTimeSpan));
        Assert.Equal(-1, Deadline.RemainingMilliseconds(long.MaxValue));

        long before = Stopwatch.GetTimestamp();
        long fiftyDays = Deadline.After(TimeSpan.FromDays(50));
        long after = Stopwatch.GetTimestamp();
        long span = (long)(TimeSpan.FromDays(50).TotalSeconds * Stopwatch.Frequency);
        Assert.InRange(fiftyDays, before + span, after + span + 1);

        // Far deadlines: poll(2) gets its largest timeout, never a negative (infinite) or wrapped one.
        Assert.Equal(int.MaxValue, Deadline.RemainingMilliseconds(Deadline.After(TimeSpan.FromDays(50))));
        Assert.Equal(int.MaxValue, Deadline.RemainingMilliseconds(Deadline.After(TimeSpan.FromDays(200))));
        Assert.Equal(int.MaxValue, Deadline.RemainingMilliseconds(long.MaxValue - 1));

        // Near ones round up, and a deadline that has passed is 0, however long ago. What is left
        // of 1500 ms is less only by the time between the two calls (long, on a busy machine).
        long start = Stopwatch.GetTimestamp();
        int remaining = Deadline.RemainingMilliseconds(Deadline.After(TimeSpan.FromMilliseconds(1500)));
        int between = (int)Math.Ceiling(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        Assert.InRange(remaining, 1500 - between, 1500);
        Assert.Equal(0, Deadline.RemainingMilliseconds(Deadline.After(TimeSpan.Zero)));
        Assert.Equal(0, Deadline.RemainingMilliseconds(long.MinValue));
    }

    [Theory]
    [MemberData(nameof(HugeTimeouts))]
    public Task StopAsync_with_a_huge_timeout_sends_the_first_signal_and_keeps_waiting(long ticks) =>
        AssertTheFirstStepIsStillWaitingAfterASecondAsync(ticks, Signal.SIGTERM, (handle, options, token) => handle.StopAsync(options, token));

    [Theory]
    [MemberData(nameof(HugeTimeouts))]
    public Task StopTreeAsync_with_a_huge_polite_timeout_does_not_kill_at_once(long ticks) =>
        AssertTheFirstStepIsStillWaitingAfterASecondAsync(ticks, Signal.SIGKILL, (handle, options, token) => handle.StopTreeAsync(options, token));

    [Fact]
    public async Task A_step_longer_than_a_timer_holds_is_waited_in_full_in_several_parts()
    {
        // The same code path as a 50-day step, with the longest timer shortened to 100 ms: the
        // 600 ms step must last 600 ms, not end with its first 100 ms part.
        using Child child = await Child.StartAsync("ignore", "TERM");
        using var handle = ProcessHandle.Open(child.Pid);
        var step = TimeSpan.FromMilliseconds(600);
        var options = new StopOptions([StopStep.SendSignal(Signal.SIGTERM, step), StopStep.SendSignal(Signal.SIGKILL, Long)]);

        StopResult result = await GracefulStop.RunAsync(handle, options, longestTimer: TimeSpan.FromMilliseconds(100), Ct);

        Assert.Equal(1, result.StepIndex);
        Assert.True(result.Elapsed >= step - TimeSpan.FromMilliseconds(20), $"elapsed {result.Elapsed}");
        Assert.Equal(128 + Signal.SIGKILL, await child.WaitForExitAsync());
    }

    [Fact]
    public void StopOptions_accepts_any_length_and_infinity_and_refuses_other_negative_timeouts()
    {
        foreach (TimeSpan t in new[] { TimeSpan.MaxValue, TimeSpan.FromDays(50), Timeout.InfiniteTimeSpan, TimeSpan.Zero })
        {
            Assert.Equal(t, new StopOptions([StopStep.SendSignal(Signal.SIGTERM, t)]).Steps[0].Timeout);
        }

        foreach (TimeSpan t in new[] { TimeSpan.MinValue, TimeSpan.FromTicks(-1), TimeSpan.FromMilliseconds(-2) })
        {
            ArgumentException e = Assert.Throws<ArgumentException>(() => new StopOptions([StopStep.SendSignal(Signal.SIGTERM, t)]));
            Assert.Equal("steps", e.ParamName);
        }
    }

    /// <summary>
    /// Runs a stop of a child that catches SIGUSR1 (and SIGTERM) and keeps running, with steps
    /// (SIGUSR1, <paramref name="ticks"/>) then (<paramref name="next"/>, 20 s); a second after the
    /// SIGUSR1 arrived, the stop must still be waiting in the first step. Then it is cancelled, and
    /// nothing but SIGUSR1 must have reached the child.
    /// </summary>
    private static async Task AssertTheFirstStepIsStillWaitingAfterASecondAsync(long ticks, int next, Func<ProcessHandle, StopOptions, CancellationToken, Task> stop)
    {
        using Child child = await Child.StartAsync("catch", "USR1", "TERM");
        using var handle = ProcessHandle.Open(child.Pid);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var options = new StopOptions([StopStep.SendSignal(Signal.SIGUSR1, new TimeSpan(ticks)), StopStep.SendSignal(next, Long)]);

        Task running = stop(handle, options, cts.Token);
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        await Task.Delay(1000, Ct);

        Assert.False(running.IsCompleted, $"the stop ended within a second of a {new TimeSpan(ticks)} step: {running.Status} {running.Exception?.InnerException}");
        Assert.True(handle.IsAlive);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.True(handle.IsAlive);
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
        await child.ReadToEndAsync();
        Assert.Equal([$"got {Signal.SIGUSR1}"], Got(child));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_ends_pending_waits_and_stops_with_ObjectDisposedException_and_sends_nothing_more(bool byStartTime)
    {
        using Child child = await Child.StartAsync("catch", "USR1", "USR2", "TERM");
        ProcessHandle handle = byStartTime ? ProcessHandle.OpenByStartTime(child.Pid) : ProcessHandle.Open(child.Pid);
        int? fd = (handle.SafeHandle as SafePidfdHandle)?.FileDescriptor;

#pragma warning disable xUnit1051 // no token on purpose: only the Dispose may end these
        Task[] waits = [handle.WaitForExitAsync(), handle.WaitForExitAsync(CancellationToken.None), handle.WaitForExitAsync(Ct)];
        Task<StopResult> stop = handle.StopAsync(new StopOptions([StopStep.SendSignal(Signal.SIGUSR1, Long), StopStep.SendSignal(Signal.SIGTERM, Long)]));
#pragma warning restore xUnit1051
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.DoesNotContain(waits, w => w.IsCompleted);
        Assert.False(stop.IsCompleted);

        handle.Dispose();

        // Promptly, and as ObjectDisposedException: not a cancellation, which a stop would take for
        // "this step's time is up" and escalate.
        foreach (Task pending in waits.Append(stop))
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(Prompt, Ct));
        }

        Assert.Throws<ObjectDisposedException>(() => handle.Signal(Signal.SIGUSR2));
        Assert.Throws<ObjectDisposedException>(() => handle.IsAlive);
        Assert.Throws<ObjectDisposedException>(() => handle.ExitStatus);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => handle.WaitForExitAsync(Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => handle.StopAsync(null, Ct));
        if (!byStartTime)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => handle.KillTreeAsync(Ct));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => handle.StopTreeAsync(null, Ct));
        }

        // The pidfd is closed now that no wait holds it: its number names nothing, or another file.
        if (fd is int number)
        {
            Assert.False(NamesPidfdOf(number, child.Pid), $"fd {number} is still a pidfd of pid {child.Pid} after Dispose");
        }

        // Only the first step's SIGUSR1 reached the child: no SIGTERM from the stop, no SIGUSR2.
        Assert.False(child.Process.HasExited);
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
        await child.ReadToEndAsync();
        Assert.Equal([$"got {Signal.SIGUSR1}"], Got(child));
    }

    [Fact]
    public async Task Dispose_ends_a_pending_tree_stop_with_ObjectDisposedException_and_nothing_more_is_sent()
    {
        using Child child = await Child.StartAsync("catch", "USR1", "TERM");
        var handle = ProcessHandle.Open(child.Pid);

#pragma warning disable xUnit1051 // no token on purpose: only the Dispose may end it
        Task<TreeStopResult> stop = handle.StopTreeAsync(new StopOptions([StopStep.SendSignal(Signal.SIGUSR1, Long), StopStep.SendSignal(Signal.SIGTERM, Long)]));
#pragma warning restore xUnit1051
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.False(stop.IsCompleted);

        handle.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => stop.WaitAsync(Prompt, Ct));
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
        await child.ReadToEndAsync();
        Assert.Equal([$"got {Signal.SIGUSR1}"], Got(child));
    }

    [Fact]
    public async Task More_waits_than_RLIMIT_NOFILE_all_end_and_the_watcher_does_not_spin()
    {
        const int PerProcess = 2000;
        Report r = await RunWatcherModeAsync("watch-many", PerProcess.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // poll(2) refused more descriptors than this with EINVAL, and the old watcher retried at once, forever.
        Assert.True(int.Parse(r["limit"]) < PerProcess, $"the soft RLIMIT_NOFILE {r["limit"]} is not below {PerProcess}");

        // One registration per pidfd, however many waits share it; none left once they have ended.
        Assert.Equal("2", r["epoll-registrations"]);
        Assert.Equal("0", r["epoll-registrations-left"]);

        // Asleep in the kernel while the waits are pending: a spinning thread shows ~50 ticks per
        // half second. 5 ticks (50 ms) leave room for a busy machine.
        Assert.InRange(long.Parse(r["idle-ticks"]), 0, 5);
        Assert.InRange(long.Parse(r["watcher-ticks"]), 0, 100);

        Assert.Equal($"{PerProcess / 2}", r["cancelled"]);
        Assert.Equal($"{PerProcess}", r["a-completed"]);
        Assert.Equal($"{PerProcess / 2}", r["b-pending"]);
        Assert.Equal($"{PerProcess / 2}", r["b-completed"]);
        Assert.Equal("1", r["watcher-threads"]);
    }

    [Fact]
    public async Task A_first_wait_that_runs_out_of_descriptors_throws_EMFILE_and_the_next_wait_works()
    {
        Report r = await RunWatcherModeAsync("watch-emfile");

        Assert.Equal("24", r["fill-errno"]);
        Assert.StartsWith("OsException errno=24 op=epoll_create1 ", r["first"], StringComparison.Ordinal);
        Assert.Contains("Too many open files", r["first"], StringComparison.Ordinal);

        // Nothing was cached: with descriptors free again, the next wait makes the watcher, and the
        // failed attempt left no thread (the child counts once the threads it started have their own names).
        Assert.Equal("True", r["second-pending"]);
        Assert.Equal("ok", r["second"]);
        Assert.Equal("1", r["watcher-threads"]);
    }

    [Fact]
    public async Task When_epoll_wait_fails_the_pending_waits_fault_and_a_new_wait_starts_a_new_watcher()
    {
        Report r = await RunWatcherModeAsync("watch-broken");

        Assert.Equal("True", r["epoll-found"]);
        Assert.Equal("ok", r["a"]);
        Assert.StartsWith("OsException errno=22 op=epoll_wait ", r["b-first"], StringComparison.Ordinal);

        // The watcher did not close the number it no longer owns.
        Assert.Equal("/dev/null", r["epoll-fd-now"]);

        Assert.Equal("True", r["b-second-pending"]);
        Assert.Equal("1", r["watcher-threads"]);
        Assert.Equal("ok", r["b-second"]);
    }

    /// <summary>Runs a watcher mode of the test child and returns its "key value" report, up to "done".</summary>
    private static async Task<Report> RunWatcherModeAsync(params string[] args)
    {
        using Child child = await Child.StartAsync(args);
        await child.WaitForLineAsync("done", TimeSpan.FromSeconds(60));
        var report = new Dictionary<string, string>();
        foreach (string line in child.Seen.Where(l => l.Contains(' ', StringComparison.Ordinal)))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            report[line[..space]] = line[(space + 1)..];
        }

        Assert.Equal(0, await child.WaitForExitAsync());
        return new Report(report, [.. child.Seen]);
    }

    /// <summary>Whether descriptor <paramref name="fd"/> of this process is a pidfd for <paramref name="pid"/>.</summary>
    internal static bool NamesPidfdOf(int fd, int pid)
    {
        try
        {
            if (new FileInfo($"/proc/self/fd/{fd}").LinkTarget != "anon_inode:[pidfd]")
            {
                return false;
            }

            return File.ReadLines($"/proc/self/fdinfo/{fd}").Any(l => l.StartsWith("Pid:", StringComparison.Ordinal) && l["Pid:".Length..].Trim() == pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return false; // closed between the two reads
        }
    }

    /// <summary>A child's report; a missing key fails the test with everything the child printed.</summary>
    private sealed class Report(Dictionary<string, string> values, List<string> seen)
    {
        public string this[string key] => values.TryGetValue(key, out string? value)
            ? value
            : throw new Xunit.Sdk.XunitException($"The child reported no \"{key}\"; it printed: [{string.Join(" | ", seen)}]");
    }

    private static List<string> Got(Child child) =>
        child.Seen.Where(l => l.StartsWith("got ", StringComparison.Ordinal)).ToList();
}
