using System.Globalization;

namespace OsKill.Cli.Run;

/// <summary>A wait status as the shell reads it: the exit code, or 128+N for a signal N.</summary>
internal static class ExitText
{
    /// <summary>The shell's number for a wait status: the exit code, or 128+N when signal N ended the process.</summary>
    internal static int ShellStatus(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);

    /// <summary>"exit 3", or "signal 15 (SIGTERM)".</summary>
    internal static string Describe(int status) => (status & 0x7f) == 0
        ? string.Create(CultureInfo.InvariantCulture, $"exit {(status >> 8) & 0xff}")
        : SignalText(status & 0x7f);

    /// <summary>"signal 15 (SIGTERM)".</summary>
    internal static string SignalText(int sig) => Signal.Name(sig) is string name
        ? string.Create(CultureInfo.InvariantCulture, $"signal {sig} (SIG{name})")
        : string.Create(CultureInfo.InvariantCulture, $"signal {sig}");
}
