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
        else if (ProgramNotFound(options.FileName) is string where)
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
    /// can tell: a bare name on Windows, where the search has more places than PATH). A bare name
    /// is looked for where the start looks (ProcessContainer.Start, as Process.Start on Unix):
    /// beside this program's executable, in the current directory, then in this process's PATH;
    /// not in the child's own PATH, which is the program's environment, not the search's.
    /// </summary>
    private static string? ProgramNotFound(string fileName)
    {
        if (fileName.Contains('/', StringComparison.Ordinal) || Path.IsPathRooted(fileName))
        {
            return File.Exists(fileName) ? null : "no such file";
        }

        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        string[] directories = [Path.GetDirectoryName(Environment.ProcessPath) ?? string.Empty, Directory.GetCurrentDirectory(), .. path.Split(':', StringSplitOptions.RemoveEmptyEntries)];
        return directories.Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, fileName)))
            ? null
            : $"not beside this program's executable, in the current directory, or in a directory of this process's PATH ({path})";
    }
}
