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
    /// Why a program named by a rooted path cannot be there; null when it is, or when the name is
    /// resolved by the start itself (a bare name is looked for beside the host's executable, in the
    /// current directory and on the host's PATH, as Process.Start does, and a name found nowhere
    /// fails the host's start with the child's name).
    /// </summary>
    private static string? ProgramNotFound(string fileName) =>
        Path.IsPathRooted(fileName) && !File.Exists(fileName) ? "no such file" : null;
}
