using Microsoft.Extensions.Options;

namespace OsKill.Extensions.Hosting;

/// <summary>Checks the options all children share, with messages that name the setting.</summary>
internal sealed class ChildProcessHostOptionsValidator : IValidateOptions<ChildProcessHostOptions>
{
    public ValidateOptionsResult Validate(string? name, ChildProcessHostOptions options)
    {
        var failures = new List<string>();
        if (options.KillReserve < TimeSpan.Zero)
        {
            failures.Add($"ChildProcessHost: KillReserve {options.KillReserve} is negative.");
        }

        if (!Enum.IsDefined(options.StopOrder))
        {
            failures.Add($"ChildProcessHost: StopOrder {(int)options.StopOrder} is none of {string.Join(", ", Enum.GetNames<ChildStopOrder>())}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
