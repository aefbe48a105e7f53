namespace OsKill.Cli.Run;

/// <summary>
/// <c>oskill run [OPTIONS] -- CMD [ARGS]</c>: runs CMD in a container, forwards signals to it, stops
/// it at a timeout, stops what it leaves behind, and returns only when the container is empty,
/// with CMD's status (docs/run.md).
/// </summary>
internal static class RunCommand
{
    /// <summary>GNU timeout's statuses.</summary>
    internal const int TimedOut = 124;
    internal const int Failed = 125;

    /// <summary>Whether a command line is <c>oskill run ...</c>.</summary>
    internal static bool IsRun(string[] args) => args.Length > 0 && args[0] == "run";

    /// <summary>Runs <c>oskill run</c> with the arguments after "run"; returns the exit status.</summary>
    internal static int Execute(string[] args, TextWriter stdout, TextWriter stderr)
    {
        RunOptions? options = RunArguments.Parse(args, out bool help, out string? error);
        if (help)
        {
            stdout.Write(RunHelp.Text);
            return 0;
        }

        if (options is null)
        {
            stderr.WriteLine($"{Rules.Name} run: {Sender.OneLine(error!)}");
            stderr.WriteLine($"Try '{Rules.Name} run --help' for more information.");
            return Failed;
        }

        if (OperatingSystem.IsWindows() && WindowsSupervisor.Refusal(options) is string refusal)
        {
            stderr.WriteLine($"{Rules.Name} run: {refusal}");
            stderr.WriteLine($"Try '{Rules.Name} run --help' for more information.");
            return Failed;
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                return new WindowsSupervisor(options, stderr).Run();
            }

            if (OperatingSystem.IsLinux())
            {
                return new Supervisor(options, stderr).Run();
            }
        }
        catch (Exception e)
        {
            stderr.WriteLine($"{Rules.Name} run: {Sender.OneLine(e.Message)}");
            return Failed;
        }

        stderr.WriteLine($"{Rules.Name} run: not available on this OS yet (Linux and Windows only in this version)");
        return Failed;
    }
}
