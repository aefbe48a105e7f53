using System.Runtime.InteropServices;

namespace OsKill.Bench;

/// <summary>CLOCK_MONOTONIC in nanoseconds: the clock the C helpers stamp with.</summary>
internal static partial class Clock
{
    private const int CLOCK_MONOTONIC = 1;

    public static long NowNs()
    {
        if (clock_gettime(CLOCK_MONOTONIC, out Timespec t) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_MONOTONIC) failed");
        }

        return (t.Seconds * 1_000_000_000L) + t.Nanoseconds;
    }

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clock, out Timespec ts);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
