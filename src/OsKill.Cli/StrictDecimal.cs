using System.Globalization;

namespace OsKill.Cli;

/// <summary>
/// A whole number as kill(1) reads one: decimal digits with an optional leading '-'. Other signs,
/// spaces, and digits of other scripts are refused.
/// </summary>
internal static class StrictDecimal
{
    /// <summary>Parses <paramref name="text"/> as a strict decimal <see cref="int"/>.</summary>
    internal static bool TryParse(string text, out int value)
    {
        value = 0;
        ReadOnlySpan<char> digits = text.StartsWith('-') ? text.AsSpan(1) : text;
        return !digits.IsEmpty
            && digits.IndexOfAnyExceptInRange('0', '9') < 0
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
