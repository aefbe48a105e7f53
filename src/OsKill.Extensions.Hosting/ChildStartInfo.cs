using System.Diagnostics;

namespace OsKill.Extensions.Hosting;

/// <summary>The <see cref="ProcessStartInfo"/> for one run of a child, from its options.</summary>
internal static class ChildStartInfo
{
    public static ProcessStartInfo From(ChildProcessOptions options)
    {
        var psi = new ProcessStartInfo(options.FileName)
        {
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? string.Empty,
            RedirectStandardOutput = options.LogOutput,
            RedirectStandardError = options.LogOutput,

            // Windows: a console of its own (with no window), so that the stop's Ctrl+C reaches
            // the child's console and not the host's.
            CreateNoWindow = OperatingSystem.IsWindows(),
        };
        foreach (string argument in options.Arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string> variable in options.Environment)
        {
            psi.Environment[variable.Key] = variable.Value;
        }

        return psi;
    }
}
