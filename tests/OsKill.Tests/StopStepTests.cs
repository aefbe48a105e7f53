namespace OsKill.Tests;

/// <summary>
/// A stop step says what it does: a signal (<see cref="StopStep.SendSignal"/>) or, on Windows only,
/// an exit code (<see cref="StopStep.Terminate"/>); a step no factory made is refused before anything is sent.
/// </summary>
public class StopStepTests
{
    [Fact]
    public void SendSignal_on_POSIX_is_a_signal_with_no_exit_code()
    {
        var step = StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromSeconds(2));

        Assert.Equal(Signal.SIGTERM, step.Signal);
        Assert.Null(step.ExitCode);
        Assert.Equal(TimeSpan.FromSeconds(2), step.Timeout);
        Assert.Equal("signal 15 (SIGTERM), then wait 2000 ms", step.ToString());
        Assert.Equal(step, StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromSeconds(2)));
        Assert.Contains("until it exits", StopStep.SendSignal(Signal.SIGKILL, Timeout.InfiniteTimeSpan).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Terminate_with_an_exit_code_is_refused_off_Windows()
    {
#pragma warning disable CA1416 // the point: what happens when it is called where CA1416 says it is not there
        PlatformNotSupportedException e = Assert.Throws<PlatformNotSupportedException>(() => StopStep.Terminate(77, TimeSpan.Zero));
#pragma warning restore CA1416
        Assert.Contains("Terminate(77)", e.Message, StringComparison.Ordinal);
        Assert.Contains("SendSignal(Signal.SIGKILL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_default_step_is_refused_by_StopOptions_before_anything_is_sent()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.Zero), default]));

        Assert.Equal("steps", e.ParamName);
        Assert.Contains("StopStep.SendSignal", e.Message, StringComparison.Ordinal);
        Assert.Null(default(StopStep).Signal);
        Assert.Null(default(StopStep).ExitCode);
    }

    [Fact]
    public void The_default_forced_step_on_POSIX_is_SIGKILL_and_a_negative_timeout_names_its_step()
    {
        StopStep forced = StopOptions.Graceful(TimeSpan.FromSeconds(1)).Steps[^1];
        Assert.Equal((Signal.SIGKILL, (int?)null), (forced.Signal, forced.ExitCode));

        ArgumentException e = Assert.Throws<ArgumentException>(() => new StopOptions([StopStep.SendSignal(Signal.SIGHUP, TimeSpan.FromMilliseconds(-5))]));
        Assert.Contains("SIGHUP", e.Message, StringComparison.Ordinal);
    }
}
