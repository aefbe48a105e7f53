using System.Globalization;

namespace OsKill.Cli.Run;

/// <summary>
/// Parses <c>oskill run [OPTIONS] [--] CMD [ARGS]</c> as GNU timeout and tini do: options end at
/// <c>--</c> or at the first word that is not an option, which is CMD; everything after it is CMD's.
/// </summary>
internal static class RunArguments
{
    /// <summary>The parsed options, or null with <paramref name="error"/> set; <paramref name="help"/> when -h/--help came first.</summary>
    internal static RunOptions? Parse(IReadOnlyList<string> args, out bool help, out string? error)
    {
        help = false;
        error = null;
        var chain = new List<ChainStep>();
        TimeSpan? gnuTimeout = null;
        TimeSpan? killAfter = null;
        int? polite = null;
        var rewrites = new Dictionary<int, int>();
        var options = new RunOptions { Command = [] };
        int i = 0;
        while (i < args.Count)
        {
            string arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                break;
            }

            (string name, string? inline) = Split(arg);
            string? Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 < args.Count)
                {
                    i++;
                    return args[i];
                }

                return null;
            }

            switch (name)
            {
                case "-h" or "--help" or "-?":
                    help = true;
                    return null;
                case "-v" or "--verbose":
                    options = options with { Verbose = true };
                    break;
                case "--preserve-status":
                    options = options with { PreserveStatus = true };
                    break;
                case "--no-cgroup":
                    options = options with { NoCgroup = true };
                    break;
                case "--timeout":
                    if (!ParseTimeout(args, ref i, inline, chain, ref gnuTimeout, out error))
                    {
                        return null;
                    }

                    break;
                case "-s" or "--signal":
                    string? sigText = Value();
                    if (!TryParseSignal(sigText, name, allowZero: false, out int sig, out error))
                    {
                        return null;
                    }

                    polite = sig;
                    break;
                case "-k" or "--kill-after" or "--grace":
                    string? text = Value();
                    if (text is null || !Duration.TryParse(text, out TimeSpan duration))
                    {
                        error = $"invalid {name} '{text}': give a duration such as 10, 2.5s, 1m, 1h or 1d";
                        return null;
                    }

                    if (name == "--grace")
                    {
                        options = options with { Grace = duration };
                    }
                    else
                    {
                        killAfter = duration;
                    }

                    break;
                case "--kill-mode":
                    string? mode = Value();
                    if (mode is not ("control-group" or "mixed"))
                    {
                        error = $"invalid --kill-mode '{mode}': control-group or mixed";
                        return null;
                    }

                    options = options with { KillMode = mode == "mixed" ? ContainerKillMode.Mixed : ContainerKillMode.ControlGroup };
                    break;
                case "--forward-to":
                    string? target = Value();
                    if (target is not ("main" or "group" or "all"))
                    {
                        error = $"invalid --forward-to '{target}': main, group or all";
                        return null;
                    }

                    options = options with { ForwardTo = target == "main" ? ForwardTarget.Main : target == "group" ? ForwardTarget.Group : ForwardTarget.All };
                    break;
                case "-r" or "--rewrite" when OperatingSystem.IsWindows():
                    error = $"{name}: not on Windows: oskill run forwards nothing there (Ctrl+C, Ctrl+Break and console close reach CMD from the console it shares with oskill)";
                    return null;
                case "-r" or "--rewrite":
                    if (!ParseRewrite(Value(), rewrites, out error))
                    {
                        return null;
                    }

                    break;
                default:
                    error = $"unrecognized option '{arg}'";
                    return null;
            }

            i++;
        }

        if (i >= args.Count)
        {
            error = "no command given: oskill run [OPTIONS] -- CMD [ARGS]";
            return null;
        }

        if (chain.Count > 0 && (gnuTimeout is not null || killAfter is not null))
        {
            error = "give the timeout either as --timeout MS SIG... or as --timeout DURATION [-s SIG] [-k DURATION], not both";
            return null;
        }

        if (killAfter is not null && gnuTimeout is null)
        {
            error = "-k/--kill-after needs --timeout DURATION";
            return null;
        }

        if (gnuTimeout is TimeSpan first)
        {
            chain.Add(new ChainStep(first, polite ?? Signal.SIGTERM));
            if (killAfter is TimeSpan k)
            {
                chain.Add(new ChainStep(k, Kill));
            }
        }

        return options with
        {
            Command = [.. args.Skip(i)],
            Timeout = chain,
            PoliteSignal = polite ?? Signal.SIGTERM,
            Rewrites = rewrites,
        };
    }

    /// <summary>
    /// KILL as the chain holds it: SIGKILL, and on Windows, which has no KILL, 9 (POSIX's number),
    /// which the Windows supervisor reads as "terminate the job" (<see cref="WindowsSupervisor"/>).
    /// </summary>
    internal static int Kill => OperatingSystem.IsWindows() ? WindowsKill : Signal.SIGKILL;

    private const int WindowsKill = 9;

    // The OS's signal names and numbers; on Windows also KILL, which that OS's table lacks.
    private static bool TryParseName(string text, out int sig)
    {
        if (Signal.TryParse(text, out sig))
        {
            return true;
        }

        if (OperatingSystem.IsWindows() && (text.Equals("KILL", StringComparison.OrdinalIgnoreCase) || text.Equals("SIGKILL", StringComparison.OrdinalIgnoreCase)))
        {
            sig = WindowsKill;
            return true;
        }

        return false;
    }

    private static (string Name, string? Inline) Split(string arg)
    {
        int eq = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }

    // --timeout MS SIG (oskill's kill grammar: a plain number followed by a signal) or
    // --timeout DURATION (GNU timeout's: seconds by default, or with a unit).
    private static bool ParseTimeout(IReadOnlyList<string> args, ref int i, string? inline, List<ChainStep> chain, ref TimeSpan? gnuTimeout, out string? error)
    {
        error = null;
        string? first = inline ?? (i + 1 < args.Count ? args[++i] : null);
        if (first is null)
        {
            error = "--timeout needs a value: --timeout MS SIG, or --timeout DURATION";
            return false;
        }

        bool plain = first.Length > 0 && first.All(char.IsAsciiDigit);
        if (inline is null && plain && i + 1 < args.Count && !args[i + 1].StartsWith('-') && TryParseName(args[i + 1], out int sig))
        {
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int ms))
            {
                error = $"invalid --timeout '{first}': milliseconds must be a whole number from 0 to 2147483647";
                return false;
            }

            if (sig == 0)
            {
                error = "--timeout: signal 0 sends nothing; give a signal that stops CMD";
                return false;
            }

            i++;
            chain.Add(new ChainStep(TimeSpan.FromMilliseconds(ms), sig));
            return true;
        }

        if (gnuTimeout is not null || !Duration.TryParse(first, out TimeSpan duration))
        {
            error = gnuTimeout is not null
                ? "--timeout DURATION may be given once (repeat --timeout MS SIG for a chain)"
                : $"invalid --timeout '{first}': give --timeout MS SIG (such as --timeout 10000 TERM) or --timeout DURATION (such as 10, 10s, 1.5m, 1h, 1d)";
            return false;
        }

        gnuTimeout = duration;
        return true;
    }

    private static bool ParseRewrite(string? text, Dictionary<int, int> rewrites, out string? error)
    {
        error = null;
        int colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (text is null || colon <= 0 || colon == text.Length - 1)
        {
            error = $"invalid -r '{text}': give S:R, such as TERM:QUIT or 15:3 (R = 0 drops S)";
            return false;
        }

        if (!TryParseSignal(text[..colon], "-r", allowZero: false, out int from, out error)
            || !TryParseSignal(text[(colon + 1)..], "-r", allowZero: true, out int to, out error))
        {
            return false;
        }

        if (!RunOptions.ForwardedSignals.Contains(from))
        {
            error = $"-r {text}: {Signal.Name(from)} is not a signal oskill run forwards ({string.Join(", ", RunOptions.ForwardedSignals.Select(s => Signal.Name(s)))})";
            return false;
        }

        rewrites[from] = to;
        return true;
    }

    private static bool TryParseSignal(string? text, string option, bool allowZero, out int sig, out string? error)
    {
        error = null;
        if (text is null || !TryParseName(text, out sig) || (sig == 0 && !allowZero))
        {
            sig = 0;
            error = $"{option}: unknown signal: {text} (oskill -l lists the names)";
            return false;
        }

        return true;
    }
}
