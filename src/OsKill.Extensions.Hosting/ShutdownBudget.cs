namespace OsKill.Extensions.Hosting;

/// <summary>
/// One budget for the whole shutdown: every child's polite step ends at the same deadline, the
/// shutdown's start + <c>HostOptions.ShutdownTimeout</c> − <see cref="ChildProcessHostOptions.KillReserve"/>.
/// A child stopped late in reverse order gets what the earlier ones left; one that gets nothing goes
/// straight to the kill.
/// </summary>
internal readonly record struct ShutdownBudget(DateTime DeadlineUtc)
{
    /// <summary>The budget of a shutdown that started at <paramref name="startUtc"/>.</summary>
    public static ShutdownBudget From(DateTime startUtc, TimeSpan shutdownTimeout, TimeSpan killReserve)
    {
        if (shutdownTimeout == Timeout.InfiniteTimeSpan || shutdownTimeout >= TimeSpan.FromDays(1))
        {
            return new ShutdownBudget(DateTime.MaxValue);
        }

        TimeSpan polite = shutdownTimeout - killReserve;
        return new ShutdownBudget(startUtc + (polite > TimeSpan.Zero ? polite : TimeSpan.Zero));
    }

    /// <summary>How long a polite step that starts now may wait: the child's grace period, cut to what is left of the budget.</summary>
    public TimeSpan PoliteWait(TimeSpan gracePeriod, DateTime nowUtc)
    {
        if (DeadlineUtc == DateTime.MaxValue)
        {
            return gracePeriod;
        }

        TimeSpan left = DeadlineUtc - nowUtc;
        return left <= TimeSpan.Zero ? TimeSpan.Zero : (left < gracePeriod ? left : gracePeriod);
    }

    /// <summary>
    /// The chain for a child whose polite step starts now: its polite signal for what is left of the
    /// budget, then the platform's forced end; only the forced end once the budget is spent.
    /// </summary>
    public StopOptions ChainFor(int politeSignal, TimeSpan gracePeriod, DateTime nowUtc)
    {
        TimeSpan wait = PoliteWait(gracePeriod, nowUtc);
        return wait > TimeSpan.Zero
            ? StopOptions.Graceful(wait, politeSignal)
            : new StopOptions([StopOptions.Default.Steps[^1]]);
    }
}
