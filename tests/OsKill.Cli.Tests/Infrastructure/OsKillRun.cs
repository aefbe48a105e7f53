using System.Diagnostics;
using System.Reflection;
using OsKill.Tests.Infrastructure;

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
    public static string Dll { get; } = Path.GetFullPath(
        typeof(OsKillRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "OsKillCliDll").Value!);

    /// <summary>The native oskill named by OSKILL_CLI, or null to run <see cref="Dll"/>.</summary>
    public static string? Native { get; } = FindNative();

    /// <summary>What starts oskill, before its arguments.</summary>
    public static IReadOnlyList<string> Command { get; } = Native is string native ? [native] : [Child.DotnetHost, Dll];

    /// <summary>Runs oskill as a process with these arguments, stdout and stderr captured (so not a terminal).</summary>
    public static Task<CliResult> RunAsync(params string[] args) => RunCommandAsync([.. Command, .. args]);

    /// <summary>Runs oskill as a process with extra environment variables.</summary>
    public static Task<CliResult> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunCommandAsync([.. Command, .. args], environment);

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
