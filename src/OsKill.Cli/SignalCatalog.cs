namespace OsKill.Cli;

/// <summary>
/// The signals of the OS oskill runs on, read through the library's public API: the names in the
/// order util-linux lists them (by number, each primary name followed by its aliases), and the
/// real-time range.
/// </summary>
internal static class SignalCatalog
{
    // The aliases the library's tables know. Signal.Name gives only primary names, so each alias
    // is probed by name and placed after its primary, as util-linux's table has them.
    private static readonly string[] s_aliases = ["IOT", "CLD", "POLL", "LWP"];

    /// <summary>SIGRTMIN, or 0 where the OS has no real-time signals (macOS, Windows).</summary>
    internal static int RtMin => Signal.TryParse("RTMIN", out int n) ? n : 0;

    /// <summary>SIGRTMAX, or 0 where the OS has no real-time signals.</summary>
    internal static int RtMax => Signal.TryParse("RTMAX", out int n) ? n : 0;

    internal static bool HasRealTime => RtMin > 0;

    internal static bool IsRealTime(int sig) => HasRealTime && sig >= RtMin && sig <= RtMax;

    /// <summary>Every named signal (real-time ones excluded), primary names first, then aliases.</summary>
    internal static List<(string Name, int Number)> Names()
    {
        var names = new List<(string Name, int Number)>();
        for (int sig = 1; sig < Signal.NSIG; sig++)
        {
            if (IsRealTime(sig) || Signal.Name(sig) is not string name)
            {
                continue;
            }

            names.Add((name, sig));
            foreach (string alias in Aliases(sig))
            {
                names.Add((alias, sig));
            }
        }

        return names;
    }

    /// <summary>The other names of a signal, such as IOT for ABRT.</summary>
    internal static IEnumerable<string> Aliases(int sig)
    {
        string? primary = Signal.Name(sig);
        foreach (string alias in s_aliases)
        {
            if (Signal.TryParse(alias, out int n) && n == sig && alias != primary)
            {
                yield return alias;
            }
        }
    }

    /// <summary>"15 (TERM)", or "0" for the existence check, or "99" where the number has no name.</summary>
    internal static string Describe(int sig) =>
        Signal.Name(sig) is string name ? $"{sig} ({name})" : $"{sig}";

    /// <summary>strsignal's text, or null (glibc's 32 and 33, out-of-range numbers).</summary>
    internal static string? Description(int sig)
    {
        if (sig < 1 || sig >= Signal.NSIG)
        {
            return null;
        }

        return Signal.StrSignal(sig);
    }
}
