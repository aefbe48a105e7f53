using System.Diagnostics;

namespace OsKill.Core;

/// <summary>
/// Deadlines as <see cref="Stopwatch"/> timestamps, with arithmetic that saturates instead of
/// overflowing: <see cref="None"/> (<see cref="long.MaxValue"/>) means "no deadline", and any
/// timeout too long for a timestamp (<see cref="TimeSpan.MaxValue"/>, about 29,000 years) is none.
/// </summary>
internal static class Deadline
{
    /// <summary>No deadline: wait for as long as it takes.</summary>
    internal const long None = long.MaxValue;

    /// <summary>
    /// The timestamp <paramref name="timeout"/> from now, rounded up to the next tick;
    /// <see cref="None"/> for <see cref="Timeout.InfiniteTimeSpan"/> and for anything past the
    /// range of a timestamp. A negative timeout (other than infinite) is now.
    /// </summary>
    internal static long After(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return None;
        }

        long now = Stopwatch.GetTimestamp();
        if (timeout <= TimeSpan.Zero)
        {
            return now;
        }

        Int128 delta = (((Int128)timeout.Ticks * Stopwatch.Frequency) + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        Int128 deadline = now + delta;
        return deadline >= None ? None : (long)deadline;
    }

    /// <summary>Whether <paramref name="deadline"/> has passed; never for <see cref="None"/>.</summary>
    internal static bool Passed(long deadline) => deadline != None && Stopwatch.GetTimestamp() >= deadline;

    /// <summary>
    /// What is left until <paramref name="deadline"/>, rounded up to whole milliseconds (the
    /// resolution of the timers that wait for it, so that a wait never ends just before it);
    /// <see cref="TimeSpan.Zero"/> once it has passed, <see cref="Timeout.InfiniteTimeSpan"/> for
    /// <see cref="None"/>.
    /// </summary>
    internal static TimeSpan Remaining(long deadline)
    {
        if (deadline == None)
        {
            return Timeout.InfiniteTimeSpan;
        }

        // At most about 9.2e12 ms (long.MaxValue nanoseconds): far inside TimeSpan's range.
        return TimeSpan.FromTicks(RemainingMillisecondsLong(deadline) * TimeSpan.TicksPerMillisecond);
    }

    /// <summary>
    /// Milliseconds until <paramref name="deadline"/> for poll(2) and its kin: rounded up, 0 once
    /// it has passed, −1 (no limit) for <see cref="None"/>, and at most <see cref="int.MaxValue"/>
    /// (about 24.8 days), so a caller must wait again while time is left.
    /// </summary>
    internal static int RemainingMilliseconds(long deadline)
    {
        if (deadline == None)
        {
            return -1;
        }

        long ms = RemainingMillisecondsLong(deadline);
        return ms > int.MaxValue ? int.MaxValue : (int)ms;
    }

    private static long RemainingMillisecondsLong(long deadline)
    {
        Int128 ticks = (Int128)deadline - Stopwatch.GetTimestamp();
        if (ticks <= 0)
        {
            return 0;
        }

        // Int128: ticks × 1000 would overflow a long for deadlines more than about 106 days away.
        return (long)(((ticks * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
    }
}
