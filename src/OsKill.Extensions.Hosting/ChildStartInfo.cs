using System.Diagnostics;

namespace OsKill.Extensions.Hosting;

/// <summary>The <see cref="ProcessStartInfo"/> for one run of a child, from its options.</summary>
internal static class ChildStartInfo
{
    /// <summary>
    /// Windows: each child gets a console of its own (with no window), so that the stop's Ctrl+C
    /// reaches the child's console and not the host's. Its output is then always redirected: on
    /// that console, with no window, it would be lost (<see cref="ChildOutput"/> copies it to the
    /// host's streams when it is not logged).
    /// </summary>
    public static bool OwnConsole => OperatingSystem.IsWindows();

    public static ProcessStartInfo From(ChildProcessOptions options)
    {
        var psi = new ProcessStartInfo(options.FileName)
        {
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? string.Empty,
            RedirectStandardOutput = options.LogOutput || OwnConsole,
            RedirectStandardError = options.LogOutput || OwnConsole,
            CreateNoWindow = OwnConsole,
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
