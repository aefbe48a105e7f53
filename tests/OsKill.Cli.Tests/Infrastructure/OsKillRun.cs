using System.Diagnostics;

namespace OsKill.Cli.Tests.Infrastructure;

/// <summary>What one run of oskill did.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}---";
}

/// <summary>
/// Runs the built oskill: as a process, or in-process through Cli.Run. The process is the JIT
/// OsKill.Cli.dll under the dotnet host, or, when the environment variable OSKILL_CLI names a
/// native binary (.ci/run names the NativeAOT front, artifacts/oskill/oskill), that binary.
/// </summary>
public static class OsKillRun
{
    /// <summary>The built CLI (src/OsKill.Cli/bin/...), run with the dotnet host as a user would.</summary>
    public static string Dll { get; } = Path.GetFullPath(TestAssembly.Metadata("OsKillCliDll"));

    /// <summary>The native oskill named by OSKILL_CLI, or null to run <see cref="Dll"/>.</summary>
    public static string? Native { get; } = FindNative();

    /// <summary>What starts oskill, before its arguments.</summary>
    public static IReadOnlyList<string> Command { get; } = Native is string native ? [native] : [Child.DotnetHost, Dll];

    /// <summary>Runs oskill as a process with these arguments, stdout and stderr captured (so not a terminal).</summary>
    public static Task<CliResult> RunAsync(params string[] args) => RunCommandAsync([.. Command, .. args]);

    /// <summary>Runs oskill as a process with extra environment variables.</summary>
    public static Task<CliResult> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunCommandAsync([.. Command, .. args], environment);

    /// <summary>
    /// Runs oskill under /bin/sh with its descriptors changed by <paramref name="redirection"/>
    /// (<c>&gt;/dev/full</c>, <c>&gt;&amp;-</c>, <c>2&gt;&amp;-</c>...): a test cannot close a descriptor of a
    /// child .NET starts, a shell can. The shell execs oskill, so the status is oskill's; what the
    /// redirection leaves on the test's pipes is captured.
    /// </summary>
    public static Task<CliResult> RunRedirectedAsync(string redirection, params string[] args) =>
        RunCommandAsync(["/bin/sh", "-c", $"exec \"$@\" {redirection}", "sh", .. Command, .. args]);

    /// <summary>
    /// Runs oskill with its stdout (and its stderr too if <paramref name="stderrToo"/>) a pipe whose
    /// reader has already exited, so that every write fails with EPIPE (.NET ignores SIGPIPE, and so
    /// does the shell here). The reader is <c>true</c>, which never reads: the shell writes into the
    /// pipe until that fails, so oskill starts only once the reader is gone. oskill's status comes
    /// back through a third descriptor and becomes the shell's.
    /// </summary>
    public static Task<CliResult> RunIntoBrokenPipeAsync(bool stderrToo, params string[] args)
    {
        string script = $$"""
            trap '' PIPE
            status=$(exec 3>&1; { while printf x 2>/dev/null; do :; done; "$@" 3>&- {{(stderrToo ? "2>&1" : string.Empty)}}; echo $? >&3; } | true)
            exit "$status"
            """;
        return RunCommandAsync(["/bin/sh", "-c", script, "sh", .. Command, .. args]);
    }

    /// <summary>Runs a command line (a program and its arguments) as oskill is run, optionally with extra environment variables.</summary>
    public static async Task<CliResult> RunCommandAsync(IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("COLUMNS");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_TieredPGO"] = "0";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        using Process process = Process.Start(psi)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{string.Join(' ', command)} did not finish in time");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs oskill's entry point in this process; stdout is not a terminal unless asked.</summary>
    public static CliResult RunInProcess(string[] args, bool terminal = false)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = OsKill.Cli.Cli.Run(args, stdout, stderr, terminal);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    private static string? FindNative()
    {
        string? path = Environment.GetEnvironmentVariable("OSKILL_CLI");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        // A name that leads nowhere must fail the run, not quietly test the JIT build instead.
        return File.Exists(path)
            ? Path.GetFullPath(path)
            : throw new InvalidOperationException($"OSKILL_CLI names {path}, which does not exist");
    }
}
