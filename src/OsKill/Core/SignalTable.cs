namespace OsKill.Core;

/// <summary>
/// One operating system's signal names and numbers. <see cref="Current"/> is chosen at run time
/// (by <see cref="PlatformServices.CreateSignalTable"/>), so a program built once sends the right
/// numbers on every OS.
/// </summary>
internal sealed class SignalTable
{
    /// <summary>The table for the OS this process runs on; empty on an OS OsKill does not know.</summary>
    internal static SignalTable Current { get; } = PlatformServices.CreateSignalTable();

    /// <summary>Creates a table.</summary>
    /// <param name="platform">The OS name, for messages.</param>
    /// <param name="nsig">One more than the highest signal number (Python's <c>signal.NSIG</c>).</param>
    /// <param name="rtMin">SIGRTMIN, or 0 where the OS has no real-time signals.</param>
    /// <param name="rtMax">SIGRTMAX, or 0 where the OS has no real-time signals.</param>
    /// <param name="names">
    /// Names without the SIG prefix, in util-linux order: for each number the primary name comes
    /// before its aliases, so the first match for a number is its primary name.
    /// </param>
    internal SignalTable(string platform, int nsig, int rtMin, int rtMax, (string Name, int Number)[] names)
    {
        Platform = platform;
        Nsig = nsig;
        RtMin = rtMin;
        RtMax = rtMax;
        Names = names;
    }

    internal string Platform { get; }

    internal int Nsig { get; }

    internal int RtMin { get; }

    internal int RtMax { get; }

    internal bool HasRealTime => RtMin > 0;

    internal (string Name, int Number)[] Names { get; }

    /// <summary>The number of a name (no SIG prefix, any case), or -1 where this OS lacks it.</summary>
    internal int Find(ReadOnlySpan<char> name)
    {
        foreach ((string n, int number) in Names)
        {
            if (name.Equals(n, StringComparison.OrdinalIgnoreCase))
            {
                return number;
            }
        }

        return -1;
    }

    /// <summary>The primary name of a number (no SIG prefix), or null.</summary>
    internal string? PrimaryName(int number)
    {
        foreach ((string n, int num) in Names)
        {
            if (num == number)
            {
                return n;
            }
        }

        return null;
    }
}
