namespace OsKill.Tests;

/// <summary>Signal.PthreadKill and Signal.RaiseSignal: signals aimed at one thread of the caller.</summary>
public class ThreadTests
{
    [Fact]
    public void PthreadKill_with_signal_zero_finds_the_current_thread()
    {
        nuint self = Signal.CurrentThreadId;
        Assert.NotEqual((nuint)0, self);
        Assert.Null(Record.Exception(() => Signal.PthreadKill(self, 0)));
    }

    [Fact]
    public void PthreadKill_with_signal_zero_finds_another_live_thread()
    {
        nuint other = 0;
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            other = Signal.CurrentThreadId;
            started.Set();
            release.Wait();
        });
        thread.Start();
        try
        {
            Assert.True(started.Wait(Child.Timeout, TestContext.Current.CancellationToken));
            Assert.NotEqual(Signal.CurrentThreadId, other);
            Assert.Null(Record.Exception(() => Signal.PthreadKill(other, 0)));
        }
        finally
        {
            release.Set();
            thread.Join();
        }
    }

    [Fact]
    public async Task PthreadKill_leaves_the_signal_pending_on_that_thread_not_on_the_process()
    {
        using Child child = await Child.StartAsync("pthread", "USR2");

        await child.WaitForLineAsync("probe ok");
        await child.WaitForLineAsync("sent");
        Assert.Equal("thread-pending True", await child.WaitForLineAsync(l => l.StartsWith("thread-pending ", StringComparison.Ordinal)));
        Assert.Equal("process-pending False", await child.WaitForLineAsync(l => l.StartsWith("process-pending ", StringComparison.Ordinal)));
        Assert.Equal(0, await child.WaitForExitAsync());
    }

    [Fact]
    public void PthreadKill_with_an_invalid_signal_gives_EINVAL()
    {
        nuint self = Signal.CurrentThreadId;
        OsException e = Assert.Throws<OsException>(() => Signal.PthreadKill(self, 1000));
        Assert.Equal(22, e.Errno);
        Assert.Equal("pthread_kill", e.Operation);
        Assert.Equal(1000, e.Signal);
        Assert.StartsWith("[Errno 22] ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RaiseSignal_delivers_the_signal_to_the_caller()
    {
        using Child child = await Child.StartAsync("raise", "USR1");

        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.Equal(Signal.SIGUSR1, await child.WaitForExitAsync());
        await child.ReadToEndAsync();
        Assert.Contains("sent", child.Seen);
    }

    [Fact]
    public void RaiseSignal_zero_does_nothing()
    {
        Assert.Null(Record.Exception(() => Signal.RaiseSignal(0)));
    }

    [Fact]
    public void RaiseSignal_with_an_invalid_signal_gives_EINVAL()
    {
        OsException e = Assert.Throws<OsException>(() => Signal.RaiseSignal(1000));
        Assert.Equal(22, e.Errno);
        Assert.Equal("raise", e.Operation);
        Assert.Equal(1000, e.Signal);
    }
}
