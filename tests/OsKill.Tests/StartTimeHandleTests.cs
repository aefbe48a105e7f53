namespace OsKill.Tests;

/// <summary>
/// The macOS/FreeBSD kind of ProcessHandle (the pid plus the process's start time, checked before
/// each use), opened here on Linux through <c>ProcessHandle.OpenByStartTime</c>, so that the real
/// kernel and ns_last_pid can show what it guarantees: it signals its own process, says when that
/// process has exited (a zombie included), waits without polling, and never reaches a process that
/// later got the same pid.
/// </summary>
public class StartTimeHandleTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task It_signals_its_process_and_turns_not_alive_when_it_exits()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        using var handle = ProcessHandle.OpenByStartTime(child.Pid);

        Assert.IsNotType<SafePidfdHandle>(handle.SafeHandle);
        Assert.True(handle.IsAlive);
        handle.Signal(Signal.SIGUSR1);
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");

        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
        Assert.False(handle.IsAlive);
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => handle.Signal(0));
        Assert.Equal(3, e.Errno);
        Assert.Equal(child.Pid, e.Pid);
        Assert.Contains("start time", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForExitAsync_completes_when_the_process_exits_and_honours_cancellation()
    {
        using Child child = await Child.StartAsync("sleep");
        using var handle = ProcessHandle.OpenByStartTime(child.Pid);

        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle.WaitForExitAsync(soon.Token));
        }

        Assert.True(handle.IsAlive);
        Task exited = handle.WaitForExitAsync(Ct);
        Assert.False(exited.IsCompleted);
        Assert.Equal(0, await child.FinishAsync());
        await exited.WaitAsync(Generous, Ct);
    }

    [Fact]
    public async Task StopAsync_escalates_through_it()
    {
        using Child child = await Child.StartAsync("ignore", "TERM");
        using var handle = ProcessHandle.OpenByStartTime(child.Pid);

        var options = new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(300)), StopStep.SendSignal(Signal.SIGKILL, Generous)]);
        StopResult result = await handle.StopAsync(options, Ct);

        Assert.True(result.Exited);
        Assert.Equal(1, result.StepIndex);
        Assert.Equal(128 + Signal.SIGKILL, await child.FinishAsync());
    }

    [Fact]
    public async Task After_the_pid_is_reused_it_never_reaches_the_new_process()
    {
        using Child a = await Child.StartAsync("sleep");
        int pid = a.Pid;
        using var handle = ProcessHandle.OpenByStartTime(pid);
        Assert.Equal(0, await a.FinishAsync());

        using Child b = await PidReuse.StartChildOnPidAsync(pid, "catch", "USR1", "USR2");
        Assert.Equal(pid, b.Pid);

        Assert.False(handle.IsAlive);
        Assert.Throws<ProcessLookupException>(() => handle.Signal(Signal.SIGUSR1));
        await handle.WaitForExitAsync(Ct).WaitAsync(Generous, Ct);
        StopResult stop = await handle.StopAsync(StopOptions.Graceful(TimeSpan.FromMilliseconds(100)), Ct);
        Assert.Equal(StopOutcome.AlreadyExited, stop.Outcome);
        await Assert.ThrowsAsync<PlatformNotSupportedException>(() => handle.KillTreeAsync(Ct));

        // Control: by pid, a signal does reach B, and it is the first B ever got.
        Os.Kill(pid, Signal.SIGUSR2);
        await b.WaitForLineAsync($"got {Signal.SIGUSR2}");
        Assert.Equal(Signal.SIGUSR2, await b.FinishAsync());
    }

    [Fact]
    public void Opening_a_free_pid_gives_ProcessLookupException_and_pid_0_is_refused()
    {
        int free = FreeIds.FindUnusedPid();
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => ProcessHandle.OpenByStartTime(free));
        Assert.Equal(free, e.Pid);
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessHandle.OpenByStartTime(0));
    }
}
