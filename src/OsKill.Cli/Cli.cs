using System.CommandLine;
using System.Reflection;

namespace OsKill.Cli;

/// <summary>oskill's entry point, with its input and output passed in so that tests can run it in-process.</summary>
internal static class Cli
{
    /// <summary>
    /// Runs oskill. Never throws and never prints a stack trace: whatever goes wrong becomes one line
    /// on <paramref name="stderr"/> and a non-zero status. Output that cannot be written stops
    /// nothing (<see cref="GuardedWriter"/>); it is reported at the end (<see cref="Rules.Finish"/>).
    /// </summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="stdout">Listings, help and -v lines.</param>
    /// <param name="stderr">Errors.</param>
    /// <param name="terminal">Whether stdout is a terminal (readable tables); null to ask the console.</param>
    /// <returns>The exit status: 0, 1 or 64.</returns>
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool? terminal = null)
    {
        var output = GuardedWriter.Of(stdout);
        var errors = GuardedWriter.Of(stderr);
        int status;
        if (global::OsKill.Cli.Run.RunCommand.IsRun(args))
        {
            // oskill run: its own parser and statuses (125 for its errors), docs/run.md.
            return Rules.Finish(global::OsKill.Cli.Run.RunCommand.Execute(args[1..], output, errors), output, errors);
        }

        try
        {
            status = Execute(ParseArguments(args), output, errors, terminal);
        }
        catch (Exception e)
        {
            // A bug, or something the OS did that nobody foresaw: one line, never a stack trace.
            status = Rules.InternalError(errors, e);
        }

        return Rules.Finish(status, output, errors);
    }

    /// <summary>What a command line asks for: the fast path for the plain shapes, else the full parser.</summary>
    internal static Plan ParseArguments(string[] args) =>
        FastPath.TryParse(args) is Request request ? new Plan.Send(request) : new CommandLine().Parse(args);

    private static int Execute(Plan plan, TextWriter stdout, TextWriter stderr, bool? terminal)
    {
        switch (plan)
        {
            case Plan.Send send:
                return new Sender(stdout, stderr).Run(send.Request);

            case Plan.List { Argument: null }:
                stdout.Write(IsTerminal(terminal) ? SignalListing.Readable(everyNumber: false) : SignalListing.Names());
                return 0;

            case Plan.List list:
                string? decoded = SignalListing.Decode(list.Argument, out string? error);
                if (decoded is null)
                {
                    return UsageError(stderr, [error!]);
                }

                stdout.Write(decoded);
                return 0;

            case Plan.Table:
                stdout.Write(IsTerminal(terminal) ? SignalListing.Readable(everyNumber: true) : SignalListing.Table(Columns()));
                return 0;

            case Plan.ShowState state:
                return ProcessState.Show(state.Pid, stdout, stderr);

            case Plan.Version:
                stdout.WriteLine(VersionLine());
                return 0;

            case Plan.UsageError usage:
                return UsageError(stderr, usage.Messages);

            case Plan.Invoke invoke:
                return invoke.Result.Invoke(new InvocationConfiguration
                {
                    Output = stdout,
                    Error = stderr,
                    EnableDefaultExceptionHandler = false,
                    ProcessTerminationTimeout = null,
                });

            default:
                throw new InvalidOperationException($"unknown plan {plan}");
        }
    }

    private static int UsageError(TextWriter stderr, IEnumerable<string> messages)
    {
        foreach (string message in messages)
        {
            stderr.WriteLine($"{CommandLine.Name}: {Sender.OneLine(message)}");
        }

        stderr.WriteLine($"Try '{CommandLine.Name} --help' for more information.");
        return 1;
    }

    /// <summary>
    /// util-linux's version line, "kill from util-linux 2.41 (with: sigqueue, pidfd)": oskill's
    /// name, the package and its version (without the build's commit), and what this OS lets it do.
    /// </summary>
    internal static string VersionLine()
    {
        string version = typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(Cli).Assembly.GetName().Version?.ToString(3)
            ?? "unknown";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        string features = OperatingSystem.IsLinux() ? " (with: sigqueue, pidfd, pidfdino, procfs)"
            : OperatingSystem.IsWindows() ? " (with: console events, process handles)"
            : string.Empty;
        return $"{CommandLine.Name} from OsKill {(plus < 0 ? version : version[..plus])}{features}";
    }

    private static bool IsTerminal(bool? terminal) => terminal ?? !Console.IsOutputRedirected;

    // util-linux sizes -L by the terminal, else by COLUMNS; off a terminal that is COLUMNS or 80.
    private static int Columns() =>
        int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0 ? columns : 0;
}
