using System.Runtime.Versioning;

namespace OsKill;

/// <summary>
/// Delivers Ctrl+C or Ctrl+Break to a Windows console process, whether or not it shares our
/// console, and even when we have no console at all (a GUI app or a service). See docs/windows.md.
/// </summary>
public static class ConsoleControl
{
    /// <summary>
    /// Delivers <paramref name="consoleEvent"/> to the console that process <paramref name="pid"/>
    /// is attached to, exactly as if a user pressed the keys in that console window: every process
    /// attached to that console receives it, except the caller, which is never interrupted.
    /// </summary>
    /// <param name="pid">The target console process.</param>
    /// <param name="consoleEvent">Ctrl+C or Ctrl+Break.</param>
    /// <param name="timeout">How long to wait for the helper process, when one is needed; default 10 s.</param>
    /// <exception cref="ProcessLookupException">No such process.</exception>
    /// <exception cref="OsException">The event could not be delivered (for example, the target has no console).</exception>
    /// <exception cref="InvalidOperationException">A helper is needed but this app cannot start one (NativeAOT or trimmed without <see cref="RunHelperIfRequested"/>).</exception>
    [SupportedOSPlatform("windows")]
    public static void Send(int pid, ConsoleEvent consoleEvent, TimeSpan? timeout = null) =>
        Windows.ConsoleEvents.Send(pid, consoleEvent, timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>
    /// For NativeAOT and trimmed apps, where startup hooks do not run: call this first thing in
    /// <c>Main</c>. In a normal start it returns false at once. In a process that OsKill started as
    /// its console helper, it delivers the event and ends the process. On other OSes it returns
    /// false, so a cross-platform app can call it unguarded.
    /// </summary>
    /// <returns>False: this process is not a helper.</returns>
    public static bool RunHelperIfRequested() => Windows.ConsoleHelper.RunIfRequested();
}
