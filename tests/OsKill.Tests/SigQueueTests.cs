namespace OsKill.Tests;

/// <summary>
/// Signal.Queue (sigqueue) against a C receiver that reads siginfo: the receiver sees
/// si_code == SI_QUEUE, our pid, and the value; real-time signals queue in order, standard ones do
/// not; errors map as for kill.
/// </summary>
public class SigQueueTests(SigInfoReceiver receiver) : IClassFixture<SigInfoReceiver>
{
    private const int SI_QUEUE = -1;

    private static readonly int Self = Environment.ProcessId;

    [Theory]
    [InlineData(42)]
    [InlineData(-7)]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public async Task The_receiver_sees_SI_QUEUE_our_pid_and_the_value(int value)
    {
        using Child child = await receiver.StartAsync(1, Signal.SIGUSR1);

        Signal.Queue(child.Pid, Signal.SIGUSR1, value);

        Assert.Equal([$"got {Signal.SIGUSR1} {SI_QUEUE} {value} {Self}", "done"], await FinishAsync(child));
    }

    [Fact]
    public async Task A_real_time_signal_queued_three_times_arrives_three_times_in_order()
    {
        int rt = Signal.SIGRTMIN + 1;
        using Child child = await receiver.StartAsync(3, rt);

        Signal.Queue(child.Pid, rt, 100);
        Signal.Queue(child.Pid, rt, -200);
        Signal.Queue(child.Pid, rt, 300);

        Assert.Equal(
            [$"got {rt} {SI_QUEUE} 100 {Self}", $"got {rt} {SI_QUEUE} -200 {Self}", $"got {rt} {SI_QUEUE} 300 {Self}", "done"],
            await FinishAsync(child));
    }

    [Fact]
    public async Task A_standard_signal_does_not_queue_the_second_value_is_lost()
    {
        // Both USR1s are sent while USR1 is blocked: the second is merged into the pending first.
        // The real-time marker comes after USR1 in the kernel's order (lowest number first), so a
        // second USR1, had it queued, would arrive before it.
        int marker = Signal.SIGRTMIN;
        using Child child = await receiver.StartAsync(2, Signal.SIGUSR1, marker);

        Signal.Queue(child.Pid, Signal.SIGUSR1, 1);
        Signal.Queue(child.Pid, Signal.SIGUSR1, 2);
        Signal.Queue(child.Pid, marker, 3);

        Assert.Equal(
            [$"got {Signal.SIGUSR1} {SI_QUEUE} 1 {Self}", $"got {marker} {SI_QUEUE} 3 {Self}", "done"],
            await FinishAsync(child));
    }

    [Fact]
    public async Task Signal_zero_checks_for_the_process_and_sends_nothing()
    {
        using Child child = await receiver.StartAsync(1, Signal.SIGUSR1);

        Signal.Queue(child.Pid, 0, 5);
        Signal.Queue(child.Pid, Signal.SIGUSR1, 6);

        Assert.Equal([$"got {Signal.SIGUSR1} {SI_QUEUE} 6 {Self}", "done"], await FinishAsync(child));
    }

    [Fact]
    public void Queue_to_a_pid_that_nobody_has_gives_ProcessLookupException()
    {
        int free = FreeIds.FindUnusedPid();
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Signal.Queue(free, Signal.SIGUSR1, 1));
        Assert.Equal(3, e.Errno);
        Assert.Equal(free, e.Pid);
        Assert.Equal(Signal.SIGUSR1, e.Signal);
        Assert.Equal("sigqueue", e.Operation);
        Assert.StartsWith("[Errno 3] ", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, Assert.Throws<ProcessLookupException>(() => Signal.Queue(free, 0, 1)).Errno);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65)] // NSIG on Linux x86_64: one past SIGRTMAX
    [InlineData(1000)]
    public void An_invalid_signal_gives_OsException_EINVAL(int sig)
    {
        // To ourselves: the kernel checks the number before anything is sent.
        OsException e = Assert.Throws<OsException>(() => Signal.Queue(Self, sig, 1));
        Assert.Equal(22, e.Errno);
        Assert.Equal(sig, e.Signal);
        Assert.Equal("sigqueue", e.Operation);
    }

    /// <summary>Lets the receiver take its signals and returns what it printed after "ready".</summary>
    private static async Task<List<string>> FinishAsync(Child child)
    {
        child.CloseInput();
        List<string> lines = await child.ReadToEndAsync();
        Assert.Equal(0, await child.WaitForExitAsync());
        return lines;
    }
}
