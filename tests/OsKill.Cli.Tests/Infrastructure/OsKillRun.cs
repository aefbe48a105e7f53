using System.Diagnostics;
using System.Reflection;
using OsKill.Tests.Infrastructure;

namespace OsKill.Cli.Tests.Infrastructure;

/// <summary>What one run of oskill did.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}---";
}

/// <summary>Runs the built oskill: as a process under the dotnet host, or in-process through Cli.Run.</summary>
public static class OsKillRun
{
    /// <summary>The built CLI (src/OsKill.Cli/bin/...), run with the dotnet host as a user would.</summary>
    public static string Dll { get; } = Path.GetFullPath(
        typeof(OsKillRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "OsKillCliDll").Value!);

    /// <summary>Runs oskill as a process with these arguments, stdout and stderr captured (so not a terminal).</summary>
    public static Task<CliResult> RunAsync(params string[] args) => RunWithEnvironmentAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs oskill as a process with extra environment variables.</summary>
    public static async Task<CliResult> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Child.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("COLUMNS");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_TieredPGO"] = "0";
        foreach ((string name, string value) in environment)
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
            throw new TimeoutException($"oskill {string.Join(' ', args)} did not finish in time");
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
}
