using System.Diagnostics;
using OsKill.Core;

namespace OsKill.Tests.Core;

/// <summary>
/// The step chain's logic over a fake target that never exits (no process involved): with one
/// budget, the time a step takes to send counts against it, so the next step goes when the
/// budget says, not a whole timeout after the send; and a target may ask for the next step at once.
/// </summary>
public class StepChainTests
{
    private static readonly TimeSpan SendTakes = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstTimeout = TimeSpan.FromSeconds(1.5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_one_budget_a_slow_send_shortens_its_own_wait()
    {
        var target = new SlowTarget();
        StepChain.Outcome outcome = await StepChain.RunAsync(target, Options(), StepChain.LongestTimer, Ct, oneBudget: true);

        Assert.False(outcome.Exited);
        // Step 1 goes at the budget's end (1.5 s), not 1.5 s after step 0's send had ended (2.5 s).
        Assert.True(target.SentAt[1] >= FirstTimeout - TimeSpan.FromMilliseconds(100), $"step 1 at {target.SentAt[1]}");
        Assert.True(target.SentAt[1] < SendTakes + FirstTimeout - TimeSpan.FromMilliseconds(300), $"step 1 at {target.SentAt[1]}");
    }

    [Fact]
    public async Task Without_one_budget_each_step_waits_its_whole_timeout_after_its_send()
    {
        var target = new SlowTarget();
        StepChain.Outcome outcome = await StepChain.RunAsync(target, Options(), StepChain.LongestTimer, Ct);

        Assert.False(outcome.Exited);
        Assert.True(target.SentAt[1] >= SendTakes + FirstTimeout - TimeSpan.FromMilliseconds(100), $"step 1 at {target.SentAt[1]}");
    }

    [Fact]
    public async Task A_target_that_asks_for_the_next_step_gets_it_at_once()
    {
        var target = new SlowTarget { SendTakes = TimeSpan.Zero, AskForNext = true };
        var options = new StopOptions([StopStep.SendSignal(Signal.SIGTERM, Timeout.InfiniteTimeSpan), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.Zero)]);

        StepChain.Outcome outcome = await StepChain.RunAsync(target, options, StepChain.LongestTimer, Ct, oneBudget: true);

        Assert.False(outcome.Exited);
        Assert.Equal(2, target.SentAt.Count);
    }

    private static StopOptions Options() =>
        new([StopStep.SendSignal(Signal.SIGTERM, FirstTimeout), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.Zero)]);

    private sealed class SlowTarget : IStopTarget
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public List<TimeSpan> SentAt { get; } = [];

        public TimeSpan SendTakes { get; init; } = StepChainTests.SendTakes;

        public bool AskForNext { get; init; }

        public bool Send(int index, StopStep step, CancellationToken cancellationToken)
        {
            SentAt.Add(_clock.Elapsed);
            if (index == 0)
            {
                Thread.Sleep(SendTakes);
            }

            return true;
        }

        public async Task<bool> WaitForExitAsync(CancellationToken cancellationToken)
        {
            if (AskForNext)
            {
                return false;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return true;
        }
    }
}
