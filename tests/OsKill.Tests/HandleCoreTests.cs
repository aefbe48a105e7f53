namespace OsKill.Tests;

/// <summary>
/// What the handle core and the platform services promise, against real processes: a tree call
/// works on a pidfd of its own, so Dispose closes the caller's pidfd before it returns even while a
/// tree stop is pending (issue 17, item 5); the default stop options are one immutable instance.
/// </summary>
public class HandleCoreTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dispose_during_a_pending_StopTreeAsync_closes_the_pidfd_before_it_returns()
    {
        using Child child = await Child.StartAsync("catch", "USR1", "TERM");
        var handle = ProcessHandle.Open(child.Pid);
        int fd = ((SafePidfdHandle)handle.SafeHandle).FileDescriptor;

#pragma warning disable xUnit1051 // no token on purpose: only the Dispose may end it
        Task<TreeStopResult> stop = handle.StopTreeAsync(new StopOptions([StopStep.SendSignal(Signal.SIGUSR1, Long), StopStep.SendSignal(Signal.SIGTERM, Long)]));
#pragma warning restore xUnit1051
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.False(stop.IsCompleted);
        Assert.True(WaitLifecycleTests.NamesPidfdOf(fd, child.Pid), $"fd {fd} is not the pidfd of pid {child.Pid} before Dispose");

        handle.Dispose();

        // At once, not when the tree call gets round to ending.
        Assert.False(WaitLifecycleTests.NamesPidfdOf(fd, child.Pid), $"fd {fd} is still the pidfd of pid {child.Pid} when Dispose has returned");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stop.WaitAsync(Prompt, Ct));
        Assert.False(child.Process.HasExited);
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
    }

    [Fact]
    public async Task A_tree_call_leaves_the_callers_pidfd_open_and_closes_its_own()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        using var handle = ProcessHandle.Open(child.Pid);
        int fd = ((SafePidfdHandle)handle.SafeHandle).FileDescriptor;
        Assert.Equal(1, PidfdsOf(child.Pid));

        // One step the child survives: the tree call ends with the process alive, so its pidfds
        // still name its pid (a reaped process's pidfd says Pid: -1).
        TreeStopResult result = await handle.StopTreeAsync(new StopOptions([StopStep.SendSignal(Signal.SIGUSR1, TimeSpan.FromMilliseconds(100))]), Ct);

        Assert.False(result.Exited);
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.True(WaitLifecycleTests.NamesPidfdOf(fd, child.Pid), $"fd {fd}, the caller's pidfd, was closed by the tree call");
        Assert.Equal(1, PidfdsOf(child.Pid));
        Assert.True(handle.IsAlive);
    }

    [Fact]
    public void StopOptions_Default_is_one_instance_whose_steps_cannot_be_changed()
    {
        StopOptions options = StopOptions.Default;

        Assert.Same(options, StopOptions.Default);
        Assert.Equal([StopStep.SendSignal(Signal.SIGTERM, StopOptions.DefaultGracePeriod), StopStep.SendSignal(Signal.SIGKILL, StopOptions.DefaultGracePeriod)], options.Steps);

        // Not an array behind a read-only interface: a cast cannot reach the shared steps.
        Assert.False(options.Steps is StopStep[], "the steps are an array, which a cast could change");
        Assert.Throws<NotSupportedException>(() => ((IList<StopStep>)options.Steps)[0] = StopStep.SendSignal(Signal.SIGINT, TimeSpan.Zero));
        Assert.Equal(Signal.SIGTERM, StopOptions.Default.Steps[0].Signal);

        // Nor can the caller's own array change options made from it.
        StopStep[] mine = [StopStep.SendSignal(Signal.SIGHUP, TimeSpan.Zero)];
        var made = new StopOptions(mine);
        mine[0] = StopStep.SendSignal(Signal.SIGINT, TimeSpan.Zero);
        Assert.Equal(Signal.SIGHUP, made.Steps[0].Signal);
    }

    /// <summary>How many descriptors of this process are pidfds for <paramref name="pid"/>.</summary>
    private static int PidfdsOf(int pid) =>
        Directory.EnumerateFiles("/proc/self/fd").Count(path => int.TryParse(Path.GetFileName(path), out int fd) && WaitLifecycleTests.NamesPidfdOf(fd, pid));
}
