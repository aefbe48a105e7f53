namespace OsKill.Extensions.Hosting.Tests;

/// <summary>
/// The one budget of a shutdown (ShutdownBudget, internal): its deadline, what a polite step may
/// wait, and the chain a child gets. Logic only; ShutdownTests shows the same through real hosts.
/// </summary>
public class ShutdownBudgetTests
{
    private static readonly DateTime Start = new(2026, 12, 7, 20, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_deadline_is_the_start_plus_the_timeout_less_the_kill_reserve()
    {
        var budget = ShutdownBudget.From(Start, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(200));
        Assert.Equal(Start + TimeSpan.FromMilliseconds(1800), budget.DeadlineUtc);
    }

    [Theory]
    [InlineData(1000, 1000)]   // the reserve takes it all
    [InlineData(1000, 5000)]   // more than all
    public void A_reserve_that_takes_the_whole_timeout_leaves_no_polite_time(int timeoutMs, int reserveMs)
    {
        var budget = ShutdownBudget.From(Start, TimeSpan.FromMilliseconds(timeoutMs), TimeSpan.FromMilliseconds(reserveMs));
        Assert.Equal(Start, budget.DeadlineUtc);
        Assert.Equal(TimeSpan.Zero, budget.PoliteWait(TimeSpan.FromSeconds(5), Start));
    }

    [Fact]
    public void An_infinite_or_huge_timeout_keeps_every_grace_period()
    {
        foreach (TimeSpan timeout in new[] { Timeout.InfiniteTimeSpan, TimeSpan.FromDays(1), TimeSpan.MaxValue })
        {
            var budget = ShutdownBudget.From(Start, timeout, TimeSpan.FromMilliseconds(200));
            Assert.Equal(DateTime.MaxValue, budget.DeadlineUtc);
            Assert.Equal(TimeSpan.FromSeconds(7), budget.PoliteWait(TimeSpan.FromSeconds(7), Start + TimeSpan.FromHours(5)));
        }
    }

    [Theory]
    [InlineData(0, 5000, 1800)]      // the first child: the grace period cut to the budget
    [InlineData(0, 500, 500)]        // a shorter grace period is kept
    [InlineData(1500, 5000, 300)]    // a later child gets what the earlier ones left
    [InlineData(1800, 5000, 0)]      // nothing left at the deadline
    [InlineData(2500, 5000, 0)]      // nor after it
    [InlineData(0, 0, 0)]            // no grace period: no wait
    public void A_polite_step_waits_its_grace_period_cut_to_what_is_left(int startsAfterMs, int graceMs, int expectedMs)
    {
        var budget = ShutdownBudget.From(Start, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(200));
        TimeSpan wait = budget.PoliteWait(TimeSpan.FromMilliseconds(graceMs), Start + TimeSpan.FromMilliseconds(startsAfterMs));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), wait);
    }

    [Fact]
    public void The_chain_is_the_polite_signal_for_the_time_left_then_the_forced_end()
    {
        var budget = ShutdownBudget.From(Start, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(200));
        StopOptions chain = budget.ChainFor(Signal.SIGINT, TimeSpan.FromSeconds(5), Start + TimeSpan.FromMilliseconds(800));

        Assert.Equal(2, chain.Steps.Count);
        Assert.Equal((Signal.SIGINT, TimeSpan.FromSeconds(1)), (chain.Steps[0].Signal, chain.Steps[0].Timeout));
        Assert.Equal(StopOptions.Default.Steps[^1], chain.Steps[1]);
        Assert.Equal(Signal.SIGKILL, chain.Steps[1].Signal);
    }

    [Fact]
    public void Once_the_budget_is_spent_the_chain_is_the_forced_end_alone()
    {
        var budget = ShutdownBudget.From(Start, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(200));
        StopOptions chain = budget.ChainFor(Signal.SIGTERM, TimeSpan.FromSeconds(5), Start + TimeSpan.FromSeconds(3));

        StopStep only = Assert.Single(chain.Steps);
        Assert.Equal(Signal.SIGKILL, only.Signal);
    }

    [Theory]
    [InlineData(3, false, 3)]
    [InlineData(0, false, 0)]       // StopHost after a clean exit: a clean stop
    [InlineData(0, true, 1)]        // restarts spent on a clean exit: still a failure
    [InlineData(137, true, 137)]
    public void The_hosts_exit_code_is_the_childs_or_1_for_a_clean_exit_that_meant_failure(int childCode, bool failure, int hostCode) =>
        Assert.Equal(hostCode, ExitCodes.ForHost(childCode, failure));
}
