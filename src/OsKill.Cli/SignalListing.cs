using System.Globalization;
using System.Text;

namespace OsKill.Cli;

/// <summary>
/// <c>-l</c>, <c>-l ARG</c> and <c>-L</c>. When standard output is not a terminal the text is
/// util-linux kill(1)'s, byte for byte, so scripts that read it keep working; on a terminal it is a
/// table with descriptions.
/// </summary>
internal static class SignalListing
{
    // util-linux: names wrap before column 72; each -L cell is "%2d %-8s", 11 wide.
    private const int OutputWidth = 72;
    private const int FieldWidth = 11;

    /// <summary><c>-l</c>: every name, wrapped at 72 columns, then the real-time forms.</summary>
    internal static string Names()
    {
        var text = new StringBuilder();
        int column = 0;
        foreach ((string name, _) in SignalCatalog.Names())
        {
            int length = 1 + name.Length;
            if (OutputWidth < column + length)
            {
                text.Append('\n');
                column = 0;
            }
            else if (column > 0)
            {
                text.Append(' ');
            }

            column += length;
            text.Append(name);
        }

        if (SignalCatalog.HasRealTime)
        {
            text.Append(" RT<N> RTMIN+<N> RTMAX-<N>");
        }

        return text.Append('\n').ToString();
    }

    /// <summary>
    /// <c>-L</c>: "%2d %-8s" cells, as many to a line as fit in the width (COLUMNS, else 73, less
    /// one, as util-linux computes it), then RTMIN and RTMAX.
    /// </summary>
    internal static string Table(int columns)
    {
        int width = (columns > 0 ? columns : OutputWidth + 1) - 1;
        List<(string Name, int Number)> cells = SignalCatalog.Names();
        if (SignalCatalog.HasRealTime)
        {
            cells.Add(("RTMIN", SignalCatalog.RtMin));
            cells.Add(("RTMAX", SignalCatalog.RtMax));
        }

        var text = new StringBuilder();
        int column = 0;
        foreach ((string name, int number) in cells)
        {
            if (width < column + FieldWidth)
            {
                text.Append('\n');
                column = 0;
            }

            column += FieldWidth;
            text.Append(CultureInfo.InvariantCulture, $"{number,2} {name,-8}");
        }

        return text.Append('\n').ToString();
    }

    /// <summary>
    /// <c>-l ARG</c>: a signal number (an exit status of 128 + N counts as N), a name, or a
    /// <c>0x</c> mask in which bit N-1 stands for signal N. Null where ARG is none of these;
    /// <paramref name="error"/> then says why.
    /// </summary>
    internal static string? Decode(string arg, out string? error)
    {
        error = null;
        if (arg.StartsWith("0x", StringComparison.Ordinal))
        {
            if (!TryParseHex(arg.AsSpan(2), out ulong mask))
            {
                error = $"invalid sigmask format: {arg}";
                return null;
            }

            return MaskNames(mask, '\n');
        }

        if (!TryParseListArgument(arg, out int sig))
        {
            error = $"unknown signal: {arg}";
            return null;
        }

        return NameOrNumber(sig) + "\n";
    }

    /// <summary>
    /// The signals of a mask in which bit N-1 stands for signal N, in util-linux's words, each
    /// followed by <paramref name="separator"/>: one to a line for <c>-l 0xMASK</c>, a space
    /// between them (and after the last) for <c>-d</c>.
    /// </summary>
    internal static string MaskNames(ulong mask, char separator)
    {
        var text = new StringBuilder();
        for (int bit = 0; bit < 64; bit++)
        {
            if ((mask & (1UL << bit)) != 0)
            {
                text.Append(NameOrNumber(bit + 1)).Append(separator);
            }
        }

        return text.ToString();
    }

    /// <summary>A terminal's <c>-l</c> or <c>-L</c>: one signal to a line, with its description.</summary>
    internal static string Readable(bool everyNumber)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Signals on {OsName}:\n");
        foreach ((string name, int number) in SignalCatalog.Names())
        {
            if (Signal.Name(number) != name)
            {
                continue; // an alias: shown beside its primary name
            }

            string also = string.Join(", ", SignalCatalog.Aliases(number));
            text.Append(CultureInfo.InvariantCulture, $"{number,3}  {name,-8} {WindowsText(number) ?? SignalCatalog.Description(number) ?? ""}");
            if (also.Length > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" (also {also})");
            }

            text.Append('\n');
        }

        if (SignalCatalog.HasRealTime)
        {
            int min = SignalCatalog.RtMin;
            int max = SignalCatalog.RtMax;
            if (everyNumber)
            {
                for (int sig = min; sig <= max; sig++)
                {
                    string forms = $"RTMIN+{sig - min}, RTMAX-{max - sig}";
                    text.Append(CultureInfo.InvariantCulture, $"{sig,3}  {Signal.Name(sig),-8} {SignalCatalog.Description(sig)} ({forms})\n");
                }
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"{min}-{max}  real-time signals: RT<N> or RTMIN+<N> is {min}+N, RTMAX-<N> is {max}-N (oskill -L lists them)\n");
            }
        }

        text.Append("Names work in any case, with or without SIG (hup, SIGHUP). Signal 0 sends nothing: it checks that the process exists.\n");
        if (OperatingSystem.IsWindows())
        {
            text.Append("On Windows, INT is sent as Ctrl+C and BREAK as Ctrl+Break to the process's console; any other signal ends the process with the signal number as its exit code.\n");
        }

        return text.ToString();
    }

    private static string OsName =>
        OperatingSystem.IsLinux() ? "Linux"
        : OperatingSystem.IsMacOS() ? "macOS"
        : OperatingSystem.IsFreeBSD() ? "FreeBSD"
        : OperatingSystem.IsWindows() ? "Windows"
        : System.Runtime.InteropServices.RuntimeInformation.OSDescription;

    private static string? WindowsText(int sig)
    {
        if (!OperatingSystem.IsWindows())
        {
            return null;
        }

        return WindowsMapping.ActionFor(sig) switch
        {
            OsKill.Cli.WindowsAction.CtrlC => "Interrupt: sent as Ctrl+C",
            OsKill.Cli.WindowsAction.CtrlBreak => "Break: sent as Ctrl+Break",
            _ => $"{SignalCatalog.Description(sig) ?? "Signal"}: ends the process with exit code {sig}",
        };
    }

    // util-linux's rule for "kill -l ARG": a decimal number of NSIG or more with bit 128 set is an
    // exit status and loses the 128; anything else must be a signal number or name.
    private static bool TryParseListArgument(string arg, out int sig)
    {
        sig = 0;
        if (arg.Length == 0 || !char.IsAsciiDigit(arg[0]))
        {
            return Signal.TryParse(arg, out sig);
        }

        foreach (char c in arg)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        if (!int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return false;
        }

        if (number >= Signal.NSIG && (number & 128) != 0)
        {
            number -= 128;
        }

        if (number >= Signal.NSIG)
        {
            return false;
        }

        sig = number;
        return true;
    }

    private static bool TryParseHex(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (char c in digits)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    // util-linux: the name, else RT<n> for a real-time signal, else the number itself (0, or
    // glibc's reserved 32 and 33).
    private static string NameOrNumber(int sig) =>
        Signal.Name(sig) ?? sig.ToString(CultureInfo.InvariantCulture);
}
