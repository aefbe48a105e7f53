namespace OsKill.Cli;

/// <summary>
/// Rewrites a kill(1) command line into one that System.CommandLine parses the same way util-linux
/// does, before it sees it:
/// <list type="bullet">
/// <item><description><c>-9</c>, <c>-KILL</c>, <c>-sigusr1</c>: a dash and a signal is <c>--signal SIG</c>.</description></item>
/// <item><description>Once a signal is given, a further <c>-N</c> is process group N (<c>oskill -9 -1234</c>),
/// and ends the options, as POSIX and util-linux say.</description></item>
/// <item><description>Options end at the first target: <c>oskill 1234 -9</c> is pid 1234 and group 9,
/// never signal 9. A <c>--</c> is put in front of the targets so that negative numbers stay targets.</description></item>
/// <item><description><c>-l</c> and <c>-d</c> take the next argument whatever it looks like
/// (<c>oskill -l 130</c>, <c>oskill -d 1234</c>); what follows it is left as targets, to be refused.</description></item>
/// </list>
/// </summary>
internal static class LegacyArguments
{
    /// <summary>What --timeout takes, for every error about it (here, since the front binary has this file and not the parser's).</summary>
    internal const string TimeoutGrammar = "--timeout takes MS SIG pairs (wait MS milliseconds, then send SIG), as in --timeout 2000 INT --timeout 1000 KILL";

    /// <summary>
    /// How many values each option takes: 0, 1, 2, or -1 for <c>-l</c> and <c>-d</c>, which take
    /// the next argument whatever it is (optional for <c>-l</c>) and end the options.
    /// </summary>
    internal static readonly Dictionary<string, int> Options = new(StringComparer.Ordinal)
    {
        ["-s"] = 1,
        ["--signal"] = 1,
        ["-q"] = 1,
        ["--queue"] = 1,
        ["--timeout"] = 2,
        ["-l"] = -1,
        ["--list"] = -1,
        ["-d"] = -1,
        ["--show-process-state"] = -1,
        ["-L"] = 0,
        ["--table"] = 0,
        ["-p"] = 0,
        ["--pid"] = 0,
        ["-a"] = 0,
        ["--all"] = 0,
        ["-r"] = 0,
        ["--require-handler"] = 0,
        ["-v"] = 0,
        ["--verbose"] = 0,
        ["-h"] = 0,
        ["/h"] = 0,
        ["-?"] = 0,
        ["/?"] = 0,
        ["--help"] = 0,
        ["-V"] = 0,
        ["--version"] = 0,
    };

    /// <summary>
    /// Whether <paramref name="arg"/> is one of <see cref="Options"/>: a switch, so that the fast
    /// path (and the front binary) need not build the dictionary. A test keeps the two equal.
    /// </summary>
    internal static bool IsOption(string arg) => arg switch
    {
        "-s" or "--signal" or "-q" or "--queue" or "--timeout" or "-l" or "--list" or "-d" or "--show-process-state"
            or "-L" or "--table" or "-p" or "--pid" or "-a" or "--all" or "-r" or "--require-handler"
            or "-v" or "--verbose" or "-h" or "/h" or "-?" or "/?" or "--help" or "-V" or "--version" => true,
        _ => false,
    };

    /// <summary>The rewritten arguments, or null with <paramref name="error"/> set for a usage error.</summary>
    internal static List<string>? Rewrite(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        var output = new List<string>(args.Count + 2);
        bool signalGiven = false;
        int i = 0;

        // System.CommandLine directives ([suggest], [diagram]) come first and are its business.
        while (i < args.Count && args[i].Length > 2 && args[i][0] == '[' && args[i][^1] == ']')
        {
            output.Add(args[i++]);
        }

        while (i < args.Count)
        {
            string arg = args[i];
            if (arg == "--")
            {
                AddRest(output, args, i);
                return output;
            }

            (string name, bool attached) = SplitAttached(arg);
            if (Options.TryGetValue(name, out int arity))
            {
                i++;
                output.Add(arg);
                if (name is "-s" or "--signal")
                {
                    signalGiven = true;
                }

                if (arity == -1)
                {
                    bool list = name is "-l" or "--list";
                    if (attached && arg.Length == name.Length + 1)
                    {
                        error = list ? "unknown signal: (empty)" : "invalid PID argument: ''";
                        return null;
                    }

                    // -l and -d take the next argument, whatever it is, as util-linux does: "-l -5"
                    // asks for signal "-5". More arguments after it are left as targets, to be refused.
                    if (!attached && i < args.Count)
                    {
                        output[^1] = (list ? "--list=" : "--show-process-state=") + args[i++];
                    }

                    AddRestAsTargets(output, args, i);
                    return output;
                }

                int values = Math.Max(0, arity - (attached ? 1 : 0));
                if (name == "--timeout" && args.Count - i < values)
                {
                    // Not a pair (`oskill --timeout 2000`): the grammar, not the parser's "Required argument missing".
                    string? given = attached ? arg[(name.Length + 1)..] : i < args.Count ? args[i] : null;
                    error = TimeoutGrammar + (given is null ? "; it was given nothing" : $"; '{given}' has no signal after it");
                    return null;
                }

                for (int v = 0; v < values && i < args.Count; v++)
                {
                    output.Add(args[i++]);
                }

                continue;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                AddRestAsTargets(output, args, i);
                return output;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"unrecognized option '{arg}'";
                return null;
            }

            // A dash and something that is not an option: a signal, or, once there is one, a group.
            if (signalGiven)
            {
                AddRestAsTargets(output, args, i);
                return output;
            }

            string signal = arg[1..];
            if (!Signal.TryParse(signal, out _))
            {
                error = char.IsAsciiDigit(signal[0])
                    ? $"invalid signal name or number: {signal} (for process group {signal}, write: oskill -- {arg})"
                    : $"invalid signal name or number: {signal}";
                return null;
            }

            output.Add("--signal");
            output.Add(signal);
            signalGiven = true;
            i++;
        }

        return output;
    }

    // "--signal=KILL", "-s:KILL": the option's name and whether a value is attached.
    private static (string Name, bool Attached) SplitAttached(string arg)
    {
        if (arg.Length > 2 && arg[0] == '-')
        {
            int at = arg.IndexOfAny(['=', ':'], 1);
            if (at > 1 && Options.ContainsKey(arg[..at]))
            {
                return (arg[..at], true);
            }
        }

        return (arg, false);
    }

    private static void AddRestAsTargets(List<string> output, IReadOnlyList<string> args, int from)
    {
        if (from < args.Count)
        {
            output.Add("--");
            AddRest(output, args, from);
        }
    }

    private static void AddRest(List<string> output, IReadOnlyList<string> args, int from)
    {
        for (int i = from; i < args.Count; i++)
        {
            output.Add(args[i]);
        }
    }
}
