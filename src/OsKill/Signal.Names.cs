using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using OsKill.Core;

namespace OsKill;

// Signal names, by the rules of util-linux kill(1):
//  - case-insensitive, with an optional SIG prefix: hup, HUP, SIGHUP and sigHup are all 1;
//  - a plain decimal number from 0 to NSIG-1 is that signal (0 is the existence probe);
//  - real-time signals are RTMIN, RTMAX, RTMIN+n, RTMAX-n and RTn (= RTMIN+n), range-checked;
//  - aliases are accepted (IOT, CLD, POLL), and number-to-name gives the primary name.
public static partial class Signal
{
    /// <summary>
    /// Parses a signal name or number by the util-linux rules: <c>"TERM"</c>, <c>"sigterm"</c>,
    /// <c>"15"</c>, <c>"RTMIN+3"</c>, <c>"RTMAX-1"</c>, <c>"RT2"</c>. The numbers are those of
    /// the OS the program runs on.
    /// </summary>
    /// <param name="value">The name or number.</param>
    /// <returns>The signal number.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="FormatException">Not a signal name or number on this OS.</exception>
    public static int Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (TryParse(value, out int sig))
        {
            return sig;
        }

        throw new FormatException($"'{value}' is not a signal name or number on {PlatformServices.Name}.{ParseHint(value)}");
    }

    /// <summary>Parses a signal name or number by the rules of <see cref="Parse"/>, without throwing.</summary>
    /// <param name="value">The name or number.</param>
    /// <param name="sig">The signal number, or 0 when the text is not a signal.</param>
    /// <returns>True when <paramref name="value"/> names a signal on this OS.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out int sig)
    {
        sig = 0;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        SignalTable table = SignalTable.Current;
        ReadOnlySpan<char> text = value;
        if (char.IsAsciiDigit(text[0]))
        {
            if (!TryParseNumber(text, out int parsed) || parsed >= table.Nsig)
            {
                return false;
            }

            sig = parsed;
            return true;
        }

        if (text.StartsWith("SIG", StringComparison.OrdinalIgnoreCase))
        {
            text = text[3..];
        }

        if (table.HasRealTime && text.StartsWith("RT", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseRealTime(table, text[2..], out sig);
        }

        int number = table.Find(text);
        if (number < 0)
        {
            return false;
        }

        sig = number;
        return true;
    }

    /// <summary>
    /// The primary name of a signal, without the SIG prefix, as util-linux <c>kill -l N</c> prints
    /// it: <c>"TERM"</c> for 15, <c>"ABRT"</c> (not IOT) for 6. A real-time signal is
    /// <c>"RT"</c> and its offset from SIGRTMIN: <c>"RT0"</c> is SIGRTMIN.
    /// </summary>
    /// <param name="sig">The signal number.</param>
    /// <returns>The name, or null where the number is no signal on this OS (including 0).</returns>
    public static string? Name(int sig)
    {
        SignalTable table = SignalTable.Current;
        string? name = table.PrimaryName(sig);
        if (name is null && table.HasRealTime && sig >= table.RtMin && sig <= table.RtMax)
        {
            name = "RT" + (sig - table.RtMin).ToString(CultureInfo.InvariantCulture);
        }

        return name;
    }

    private static bool TryParseNumber(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    // After the RT prefix: "MIN", "MAX", "MIN+n", "MAX-n" or "n".
    private static bool TryParseRealTime(SignalTable table, ReadOnlySpan<char> rest, out int sig)
    {
        sig = 0;
        int number;
        if (rest.StartsWith("MIN", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest[3..];
            if (rest.IsEmpty)
            {
                number = table.RtMin;
            }
            else if (rest[0] == '+' && TryParseNumber(rest[1..], out int offset))
            {
                number = table.RtMin + offset;
            }
            else
            {
                return false;
            }
        }
        else if (rest.StartsWith("MAX", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest[3..];
            if (rest.IsEmpty)
            {
                number = table.RtMax;
            }
            else if (rest[0] == '-' && TryParseNumber(rest[1..], out int offset))
            {
                number = table.RtMax - offset;
            }
            else
            {
                return false;
            }
        }
        else if (TryParseNumber(rest, out int offset))
        {
            number = table.RtMin + offset;
        }
        else
        {
            return false;
        }

        // Offsets are non-negative ints, so RtMin + offset can overflow to a negative number;
        // the range check below rejects that too.
        if (number < table.RtMin || number > table.RtMax)
        {
            return false;
        }

        sig = number;
        return true;
    }

    private static string ParseHint(string value)
    {
        SignalTable table = SignalTable.Current;
        if (value.Length > 0 && char.IsAsciiDigit(value[0]))
        {
            return $" Signal numbers are 0 to {table.Nsig - 1}.";
        }

        return table.HasRealTime
            ? $" Real-time signals are RTMIN+0 to RTMIN+{table.RtMax - table.RtMin} ({table.RtMin} to {table.RtMax})."
            : string.Empty;
    }
}
