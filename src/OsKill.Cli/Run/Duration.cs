using System.Buffers;
using System.Globalization;

namespace OsKill.Cli.Run;

/// <summary>GNU timeout's durations: a non-negative decimal number with an optional unit, s (the default), m, h or d.</summary>
internal static class Duration
{
    private static readonly SearchValues<char> s_number = SearchValues.Create("0123456789.");

    /// <summary>Parses "10", "2.5s", "1m", "0.5h", "1d"; false for anything else, or a value too large for a TimeSpan.</summary>
    internal static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        if (text.Length == 0)
        {
            return false;
        }

        double unit = char.ToLowerInvariant(text[^1]) switch
        {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => 0,
        };
        string number = unit == 0 ? text : text[..^1];
        if (unit == 0)
        {
            unit = 1;
        }

        if (number.Length == 0 || number.AsSpan().IndexOfAnyExcept(s_number) >= 0
            || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds))
        {
            return false;
        }

        double ms = Math.Ceiling(seconds * unit * 1000);
        if (ms > int.MaxValue * 1000.0)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>Whether a token carries a unit or a decimal point, so that it can only be a GNU duration.</summary>
    internal static bool HasUnitOrFraction(string text) =>
        text.Length > 0 && (text.Contains('.', StringComparison.Ordinal) || "smhdSMHD".Contains(text[^1], StringComparison.Ordinal));
}
