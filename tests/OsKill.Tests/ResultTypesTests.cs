using System.Reflection;

namespace OsKill.Tests;

/// <summary>
/// The result types are immutable and made only by the library, and "already exited / exited at
/// step N / still running" is one outcome, with the step set exactly when the outcome names one.
/// </summary>
public class ResultTypesTests
{
    private static readonly StopOptions ThreeSteps = new(
        [StopStep.SendSignal(Signal.SIGINT, TimeSpan.Zero), StopStep.SendSignal(Signal.SIGTERM, TimeSpan.Zero), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.Zero)]);

    [Theory]
    [InlineData(typeof(StopResult))]
    [InlineData(typeof(TreeStopResult))]
    [InlineData(typeof(TreeKillResult))]
    public void A_result_has_no_public_constructor_and_no_public_setter(Type type)
    {
        Assert.Empty(type.GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        Assert.All(type.GetProperties(BindingFlags.Public | BindingFlags.Instance), p => Assert.Null(p.GetSetMethod()));
        Assert.Null(type.GetMethod("<Clone>$"));
    }

    [Fact]
    public void A_single_process_result_has_one_outcome_and_its_step()
    {
        var before = StopResult.EndedAfter(null, ThreeSteps, TimeSpan.Zero, new ExitStatus(0, null));
        Assert.Equal((StopOutcome.AlreadyExited, true, null, null), (before.Outcome, before.Exited, before.StepIndex, before.Step));
        Assert.Equal(new ExitStatus(0, null), before.ExitStatus);

        var after = StopResult.EndedAfter(1, ThreeSteps, TimeSpan.FromSeconds(1), null);
        Assert.Equal((StopOutcome.ExitedAtStep, true, 1), (after.Outcome, after.Exited, after.StepIndex));
        Assert.Equal(ThreeSteps.Steps[1], after.Step);
        Assert.Contains("step 1", after.ToString(), StringComparison.Ordinal);

        var running = StopResult.NotEnded(TimeSpan.FromSeconds(2));
        Assert.Equal((StopOutcome.StillRunning, false, null, null), (running.Outcome, running.Exited, running.StepIndex, running.Step));
    }

    [Fact]
    public void A_tree_result_has_one_outcome_and_keeps_its_step_when_the_exit_status_is_added()
    {
        var after = TreeStopResult.EndedAfter(2, ThreeSteps, TimeSpan.FromSeconds(1), members: 4, killed: 3, rounds: 5, [42]);
        TreeStopResult withStatus = after.WithExitStatus(new ExitStatus(null, Signal.SIGKILL));

        Assert.NotSame(after, withStatus);
        Assert.Null(after.ExitStatus);
        foreach (TreeStopResult r in new[] { after, withStatus })
        {
            Assert.Equal((StopOutcome.ExitedAtStep, true, 2), (r.Outcome, r.Exited, r.StepIndex));
            Assert.Equal(ThreeSteps.Steps[2], r.Step);
            Assert.Equal((4, 3, 5), (r.MemberCount, r.KilledCount, r.Rounds));
            Assert.Equal([42], r.NotFrozenPids);
        }

        Assert.Equal(Signal.SIGKILL, withStatus.ExitStatus?.TerminatingSignal);

        var before = TreeStopResult.EndedAfter(null, ThreeSteps, TimeSpan.Zero, members: 1, killed: 0, rounds: 2);
        Assert.Equal((StopOutcome.AlreadyExited, null, null), (before.Outcome, before.StepIndex, before.Step));
        Assert.Empty(before.NotFrozenPids);

        var running = TreeStopResult.NotEnded(TimeSpan.FromSeconds(3), members: 2, killed: 2, rounds: 4);
        Assert.Equal((StopOutcome.StillRunning, false, null, null), (running.Outcome, running.Exited, running.StepIndex, running.Step));
    }
}
