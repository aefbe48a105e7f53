using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;

namespace OsKill.Cli;

/// <summary>What a command line asks for.</summary>
internal abstract record Plan
{
    /// <summary>Signal these targets.</summary>
    internal sealed record Send(Request Request) : Plan;

    /// <summary><c>-l</c>, with its argument if it has one.</summary>
    internal sealed record List(string? Argument) : Plan;

    /// <summary><c>-L</c>.</summary>
    internal sealed record Table : Plan;

    /// <summary><c>-d PID</c>: the signal masks of a process.</summary>
    internal sealed record ShowState(int Pid) : Plan;

    /// <summary><c>-V</c>, <c>--version</c>.</summary>
    internal sealed record Version : Plan;

    /// <summary>A usage error: one short message per problem.</summary>
    internal sealed record UsageError(IReadOnlyList<string> Messages) : Plan;

    /// <summary>Help or a completion request: System.CommandLine answers it.</summary>
    internal sealed record Invoke(ParseResult Result) : Plan;
}

/// <summary>oskill's command line, defined for System.CommandLine: options, help and completions.</summary>
internal sealed class CommandLine
{
    internal const string Name = Rules.Name;

    private static readonly ParserConfiguration s_parserConfiguration = new()
    {
        // "@file" is a target name to kill(1), never a response file; "-vL" is no bundle.
        ResponseFileTokenReplacer = null,
        EnablePosixBundling = false,
    };

    private readonly Option<string[]> _signal = new("--signal", "-s")
    {
        HelpName = "SIG",
        Description = "The signal to send instead of TERM: a name (TERM, sigterm, RTMIN+2) or a number. 0 sends nothing and checks that the target exists.",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string[]> _queue = new("--queue", "-q")
    {
        HelpName = "VALUE",
        Description = "Send with sigqueue(3) and this int as the signal's data (Linux only).",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string[]> _timeout = new("--timeout")
    {
        HelpName = "MS SIG",
        Description = "Wait up to MS milliseconds for the process to exit, then send SIG. Repeat it to escalate. The waits and signals go through a process handle, so a follow-up never reaches a process that reused the pid.",
        Arity = new ArgumentArity(2, 2),
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string?> _list = new("--list", "-l")
    {
        HelpName = "NUM|EXITSTATUS|0xMASK",
        Description = "List the signal names; with an argument, print the name of a signal number, of an exit status (130 is INT), or of each signal in a hex mask.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<bool> _table = new("--table", "-L")
    {
        Description = "List the signal names with their numbers.",
    };

    private readonly Option<bool> _verbose = new("--verbose", "-v")
    {
        Description = "Print each pid signalled and what happened.",
    };

    private readonly Option<bool> _pid = new("--pid", "-p")
    {
        Description = "Print the pid of each target (of every process a NAME matches) and send nothing.",
    };

    private readonly Option<bool> _all = new("--all", "-a")
    {
        Description = "Let a NAME match the processes of every user, not only those of your own uid.",
    };

    private readonly Option<bool> _requireHandler = new("--require-handler", "-r")
    {
        Description = "Signal a process only if it has a handler for the signal (SigCgt in /proc/PID/status); skip the others (-v says so). Linux only.",
    };

    private readonly Option<string?> _showState = new("--show-process-state", "-d")
    {
        HelpName = "PID",
        Description = "Print the signals that the process has pending, blocked, ignored and caught, decoded from /proc/PID/status. Linux only.",
    };

    private readonly Option<bool> _version = new("--version", "-V")
    {
        Description = "Print the version and what this build can do.",
    };

    private readonly Argument<string[]> _targets = new("PID|-PGID|PID:INODE|NAME")
    {
        Description = "What to signal. A number is a process id; a negative number is a process group (put it after '--' or after the signal: oskill -- -1234, oskill -9 -1234); 0 is oskill's own process group, -1 every process you may signal. PID:INODE is that process only while its pidfd's inode is INODE, so never a process that reused the pid (Linux 6.9+). Anything else is a command name: every process of yours whose name (/proc/PID/comm) is NAME, oskill itself excepted (Linux).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    internal CommandLine()
    {
        Root = new RootCommand(
            "Send a signal to processes: kill(1) with util-linux syntax, on Linux, macOS and Windows. The default signal is TERM.")
        {
            _signal,
            _queue,
            _timeout,
            _verbose,
            _pid,
            _all,
            _requireHandler,
            _list,
            _table,
            _showState,
            _targets,
        };

        // util-linux's -V, --version: oskill's own line instead of System.CommandLine's option,
        // which answers --version only, and only when it stands alone.
        Root.Options.Remove(Root.Options.OfType<VersionOption>().Single());
        Root.Options.Add(_version);

        _signal.Validators.Add(ValidateSignals);
        _timeout.Validators.Add(ValidateTimeouts);
        _queue.Validators.Add(ValidateQueue);
        _signal.CompletionSources.Add(SignalCompletions);
        _timeout.CompletionSources.Add(SignalCompletions);
        _list.CompletionSources.Add(SignalCompletions);
        Root.SetAction(_ => 0);

        foreach (Option option in Root.Options)
        {
            if (option is HelpOption help && help.Action is CommandLineAction original)
            {
                help.Action = new HelpWithNotes(original);
            }
        }
    }

    internal RootCommand Root { get; }

    /// <summary>Parses a command line as oskill does: legacy forms first, then System.CommandLine.</summary>
    internal Plan Parse(IReadOnlyList<string> args)
    {
        List<string>? rewritten = LegacyArguments.Rewrite(args, out string? legacyError);
        if (rewritten is null)
        {
            return new Plan.UsageError([legacyError!]);
        }

        ParseResult result = Root.Parse(rewritten, s_parserConfiguration);
        if (result.Action is HelpWithNotes)
        {
            return new Plan.Invoke(result);
        }

        if (result.Errors.Count > 0)
        {
            return new Plan.UsageError([.. result.Errors.Select(e => e.Message)]);
        }

        if (result.Action != Root.Action)
        {
            return new Plan.Invoke(result); // [suggest]
        }

        if (result.GetValue(_version))
        {
            return new Plan.Version();
        }

        string[] targets = result.GetValue(_targets) ?? [];
        bool list = result.GetResult(_list) is not null;
        bool table = result.GetValue(_table);
        bool state = result.GetResult(_showState) is not null;
        if ((list ? 1 : 0) + (table ? 1 : 0) + (state ? 1 : 0) > 1)
        {
            return new Plan.UsageError([state ? "-d cannot be combined with -l or -L" : "-l and -L cannot be combined"]);
        }

        if (list || table || state)
        {
            return targets.Length > 0 ? new Plan.UsageError(["too many arguments"])
                : list ? new Plan.List(result.GetValue(_list))
                : table ? new Plan.Table()
                : ShowState(result.GetValue(_showState));
        }

        if (targets.Length == 0)
        {
            return new Plan.UsageError(["not enough arguments: give at least one PID or NAME"]);
        }

        string[] signals = result.GetValue(_signal) ?? [];
        string[] queue = result.GetValue(_queue) ?? [];
        string[] timeouts = result.GetValue(_timeout) ?? [];
        bool printPids = result.GetValue(_pid);
        if (printPids && (signals.Length > 0 || queue.Length > 0 || timeouts.Length > 0))
        {
            string other = signals.Length > 0 ? "--signal" : queue.Length > 0 ? "--queue" : "--timeout";
            return new Plan.UsageError([$"--pid and {other} are mutually exclusive"]);
        }
        if (queue.Length > 0 && targets.Any(t => !Sender.TryParseTarget(t, out _) && Sender.Classify(t, out _, out _) == Sender.TargetKind.PidInode))
        {
            return new Plan.UsageError(["--queue cannot be used with PID:INODE targets: sigqueue takes a pid, which another process may have by then"]);
        }

        var followUps = new List<FollowUp>();
        for (int i = 0; i + 1 < timeouts.Length; i += 2)
        {
            followUps.Add(new FollowUp(int.Parse(timeouts[i], NumberStyles.None, CultureInfo.InvariantCulture), Signal.Parse(timeouts[i + 1])));
        }

        var request = new Request
        {
            Signal = signals.Length > 0 ? Signal.Parse(signals[^1]) : Rules.DefaultSignal,
            QueueValue = queue.Length > 0 ? int.Parse(queue[^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : null,
            FollowUps = followUps,
            Verbose = result.GetValue(_verbose),
            PrintPids = printPids,
            RequireHandler = result.GetValue(_requireHandler),
            AllUsers = result.GetValue(_all),
            Targets = targets,
        };

        return Rules.PlatformCheck(request) is string problem
            ? new Plan.UsageError([problem])
            : new Plan.Send(request);
    }

    // -d PID: a process id as util-linux's strtopid_or_err takes it, from 1 up.
    private static Plan ShowState(string? text) =>
        text is not null && Sender.TryParseTarget(text, out int pid) && pid > 0
            ? new Plan.ShowState(pid)
            : new Plan.UsageError([$"invalid PID argument: '{text}'"]);

    private static void ValidateSignals(OptionResult result)
    {
        foreach (Token token in result.Tokens)
        {
            if (!Signal.TryParse(token.Value, out _))
            {
                result.AddError($"unknown signal: {token.Value} (oskill -l lists the names)");
            }
        }
    }

    private static void ValidateQueue(OptionResult result)
    {
        foreach (Token token in result.Tokens)
        {
            if (!StrictDecimal.TryParse(token.Value, out _))
            {
                result.AddError($"invalid --queue value '{token.Value}': it must be a whole number from -2147483648 to 2147483647");
            }
        }
    }

    private static void ValidateTimeouts(OptionResult result)
    {
        // Each error shows the grammar: `--timeout 2000 4000000` (a pid where the signal goes) is
        // better told what --timeout takes than only that 4000000 is no signal.
        const string grammar = LegacyArguments.TimeoutGrammar;
        IReadOnlyList<Token> tokens = result.Tokens;
        if (tokens.Count % 2 != 0)
        {
            result.AddError(grammar);
            return;
        }

        for (int i = 0; i < tokens.Count; i += 2)
        {
            string ms = tokens[i].Value;
            if (ms.Length == 0 || !ms.All(char.IsAsciiDigit) || !int.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                result.AddError($"invalid --timeout '{ms}': milliseconds must be a whole number from 0 to 2147483647; {grammar}");
            }

            if (!Signal.TryParse(tokens[i + 1].Value, out _))
            {
                result.AddError($"{grammar}: {tokens[i + 1].Value} is not a signal (oskill -l lists the names)");
            }
        }
    }

    private static IEnumerable<CompletionItem> SignalCompletions(CompletionContext context)
    {
        foreach ((string name, int number) in SignalCatalog.Names())
        {
            yield return new CompletionItem(name, detail: SignalCatalog.Description(number));
        }

        if (SignalCatalog.HasRealTime)
        {
            yield return new CompletionItem("RTMIN", detail: "the first real-time signal; RTMIN+N for the others");
            yield return new CompletionItem("RTMAX", detail: "the last real-time signal; RTMAX-N for the others");
        }
    }

    /// <summary>System.CommandLine's help, named oskill, followed by the forms, exit statuses and Windows notes.</summary>
    private sealed class HelpWithNotes(CommandLineAction original) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            // The generated help names the executable (OsKill.Cli under the dotnet host): write it
            // to a buffer, name the command oskill, and add the notes.
            InvocationConfiguration configuration = parseResult.InvocationConfiguration;
            TextWriter output = configuration.Output;
            var generated = new StringWriter(CultureInfo.InvariantCulture);
            configuration.Output = generated;
            try
            {
                if (original is SynchronousCommandLineAction help)
                {
                    _ = help.Invoke(parseResult);
                }
            }
            finally
            {
                configuration.Output = output;
            }

            output.Write(generated.ToString().Replace(RootCommand.ExecutableName, Name, StringComparison.Ordinal));
            output.Write(Notes);
            return 0;
        }
    }

    internal const string Notes = """
        Forms:
          oskill [-s SIG | -SIG | -NUM | -p] [-q VALUE] [--timeout MS SIG]... [-a] [-r] [-v] [--] PID|-PGID|PID:INODE|NAME...
          oskill -l [NUM|EXITSTATUS|0xMASK]
          oskill -L
          oskill -d PID
          oskill -V
          oskill run [OPTIONS] -- CMD [ARGS]     run CMD supervised: oskill run --help

        Options end at the first target: oskill 1234 -9 is pid 1234 and process group 9.

        Examples:
          oskill 1234                              send TERM to 1234
          oskill -9 1234 / oskill -s KILL 1234     send KILL
          oskill -0 1234                           does 1234 exist, and may I signal it?
          oskill -- -1234                          send TERM to process group 1234
          oskill nginx                             send TERM to every process of yours named nginx
          oskill -p nginx                          print their pids, send nothing
          oskill -r -HUP 1234                      send HUP only if 1234 has a handler for it
          oskill 1234:5678                         only if 5678 is the inode of 1234's pidfd
          oskill --timeout 2000 KILL 1234          TERM, then KILL if it still runs after 2 s
          oskill -l 137                            KILL: the signal behind exit status 137

        Exit status:
          0   every target was signalled (-p: printed), but those -r skipped
          1   nothing was signalled (every target failed, or -r skipped it), the command line
              is wrong, or output could not be written
          64  some targets were signalled and some failed

        Windows:
          -s INT sends Ctrl+C and -s BREAK sends Ctrl+Break to the console the process is attached
          to (every process on that console receives it). -0 checks that the process exists. Any
          other signal ends the process with the signal number as its exit code (TerminateProcess).
          -l lists the Windows set. Process groups, --queue, signal 1, NAME and PID:INODE
          targets, -r and -d are not available.

        """;
}
