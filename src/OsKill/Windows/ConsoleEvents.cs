namespace OsKill.Windows;

/// <summary>How Ctrl+C and Ctrl+Break reach a console process (implementation follows).</summary>
internal static class ConsoleEvents
{
    internal static void Send(int pid, ConsoleEvent consoleEvent, TimeSpan timeout) =>
        throw new PlatformNotSupportedException($"ConsoleControl.Send({pid}, {consoleEvent}, {timeout}) is not implemented yet.");
}
