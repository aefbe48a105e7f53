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
}
