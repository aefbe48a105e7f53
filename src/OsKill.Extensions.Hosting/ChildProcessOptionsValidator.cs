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
            failures.Add($"Child process '{name}': FileName '{options.FileName}' {where}.");
        }

        int number = 0;
        if (options.StopSignal is string signal && !Signal.TryParse(signal, out number))
        {
            failures.Add($"Child process '{name}': StopSignal '{signal}' is not a signal here.");
        }
        else if (options.StopSignal is string windowsSignal && OperatingSystem.IsWindows() && number != Signal.CTRL_C_EVENT && number != Signal.CTRL_BREAK_EVENT)
        {
            // As in Python, any other number on Windows is TerminateProcess with that exit code: a kill, not a polite step.
            failures.Add($"Child process '{name}': StopSignal '{windowsSignal}' is {number} on Windows, which ends the process at once (TerminateProcess with exit code {number}); a polite stop there is CTRL_C_EVENT or CTRL_BREAK_EVENT (or leave StopSignal unset for Ctrl+C).");
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

        if (options.MaxRestartBackoff < TimeSpan.Zero)
        {
            failures.Add($"Child process '{name}': MaxRestartBackoff {options.MaxRestartBackoff} is negative.");
        }

        // Configuration binds a number to an enum without checking that the number names a member.
        if (!Enum.IsDefined(options.ExitPolicy))
        {
            failures.Add($"Child process '{name}': ExitPolicy {(int)options.ExitPolicy} is none of {string.Join(", ", Enum.GetNames<ExitPolicy>())}.");
        }

        if (!Enum.IsDefined(options.KillMode))
        {
            failures.Add($"Child process '{name}': KillMode {(int)options.KillMode} is none of {string.Join(", ", Enum.GetNames<ContainerKillMode>())}.");
        }

        if (!Enum.IsDefined(options.StandardErrorLogLevel))
        {
            failures.Add($"Child process '{name}': StandardErrorLogLevel {(int)options.StandardErrorLogLevel} is not a log level.");
        }

        if (options.WorkingDirectory is string dir && !Directory.Exists(dir))
        {
            failures.Add($"Child process '{name}': WorkingDirectory '{dir}' does not exist.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// Why the program cannot be run ("is not found (…)"); null when it is there (or when only the start
    /// can tell: a bare name on Windows, where the search has more places than PATH). A rooted path
    /// must be a file (on Unix an executable one: the start would run its launcher shell, which
    /// could only exit 126 or 127). Any other name (bare, or relative) is looked for where the start looks (ProcessContainer.Start, as Process.Start on Unix):
    /// beside this program's executable, in the current directory, then in this process's PATH;
    /// not in the child's own PATH, which is the program's environment, not the search's.
    /// </summary>
    private static string? ProgramNotFound(string fileName)
    {
        if (Path.IsPathRooted(fileName))
        {
            return !File.Exists(fileName) ? "is not found (no such file)"
                : !OperatingSystem.IsWindows() && (File.GetUnixFileMode(fileName) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0 ? "is not executable (no execute permission)"
                : null;
        }

        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        string[] directories = [Path.GetDirectoryName(Environment.ProcessPath) ?? string.Empty, Directory.GetCurrentDirectory(), .. path.Split(':', StringSplitOptions.RemoveEmptyEntries)];
        return directories.Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, fileName)))
            ? null
            : $"is not found (not beside this program's executable, in the current directory, or in a directory of this process's PATH: {path})";
    }
}
