using Microsoft.Extensions.Options;

namespace OsKill.Extensions.Hosting;

/// <summary>Checks a child's options when the host starts, with messages that name the setting.</summary>
internal sealed class ChildProcessOptionsValidator : IValidateOptions<ChildProcessOptions>
{
    public ValidateOptionsResult Validate(string? name, ChildProcessOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.FileName))
        {
            failures.Add($"Child process '{name}': FileName is empty; say which program to run.");
        }
        else if (ProgramNotFound(options.FileName, options.Environment) is string where)
        {
            failures.Add($"Child process '{name}': FileName '{options.FileName}' is not found ({where}).");
        }

        if (options.StopSignal is string signal && !Signal.TryParse(signal, out _))
        {
            failures.Add($"Child process '{name}': StopSignal '{signal}' is not a signal here.");
        }

        if (options.GracePeriod < TimeSpan.Zero)
        {
            failures.Add($"Child process '{name}': GracePeriod {options.GracePeriod} is negative.");
        }

        if (options.MaxRestarts < 0)
        {
            failures.Add($"Child process '{name}': MaxRestarts {options.MaxRestarts} is negative.");
        }

        if (options.RestartBackoff < TimeSpan.Zero)
        {
            failures.Add($"Child process '{name}': RestartBackoff {options.RestartBackoff} is negative.");
        }

        if (options.WorkingDirectory is string dir && !Directory.Exists(dir))
        {
            failures.Add($"Child process '{name}': WorkingDirectory '{dir}' does not exist.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// Where a program was looked for and not found; null when it is there (or when only the start
    /// can tell: a bare name on Windows, where the search has more places than PATH).
    /// </summary>
    private static string? ProgramNotFound(string fileName, IDictionary<string, string> environment)
    {
        if (fileName.Contains('/', StringComparison.Ordinal) || Path.IsPathRooted(fileName))
        {
            return File.Exists(fileName) ? null : "no such file";
        }

        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        // The child's PATH where its Environment sets one, as the start resolves it.
        string path = environment.TryGetValue("PATH", out string? own) ? own : Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, fileName)))
            ? null
            : $"not in a directory of PATH ({path})";
    }
}
