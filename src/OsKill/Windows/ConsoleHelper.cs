using System.Globalization;
using System.Runtime.InteropServices;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// The helper side of <see cref="ConsoleControl.Send"/>: a copy of the app, started by
/// <see cref="ConsoleEvents"/> with <c>OSKILL_CONSOLE_HELPER=pid:event</c>, that leaves its own
/// console, attaches to the target's, ignores the event itself, writes to stdout the pids attached to
/// that console (the ones the event reaches), sends it to that whole console, and exits with 0 or
/// the Win32 error of the step that failed. It runs from our startup hook, before
/// the app's Main, or from <see cref="ConsoleControl.RunHelperIfRequested"/> where hooks are off.
/// </summary>
internal static class ConsoleHelper
{
    private static volatile bool s_entryPointRegistered;

    /// <summary>True once the app has called <see cref="ConsoleControl.RunHelperIfRequested"/>.</summary>
    internal static bool EntryPointRegistered => s_entryPointRegistered;

    internal static bool RunIfRequested()
    {
        s_entryPointRegistered = true;
        string? request = Environment.GetEnvironmentVariable(ConsoleEvents.HelperVariable);
        if (request is null || !PlatformServices.ConsoleHelperSupported)
        {
            return false;
        }

        Environment.Exit(Run(request));
        return true;
    }

    private static unsafe int Run(string request)
    {
        string[] parts = request.Split(':');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint ctrlEvent)
            || ctrlEvent > 1)
        {
            return Fail(WinError.ERROR_INVALID_PARAMETER, $"bad request '{request}'");
        }

        // stdout is a pipe to the caller: take it before the console changes.
        TextWriter output = Console.Out;

        // Leave whatever console we were given, and join the target's.
        Kernel32.FreeConsole();
        if (!Kernel32.AttachConsole(pid))
        {
            return Fail(Marshal.GetLastPInvokeError(), $"AttachConsole({pid})");
        }

        // We are on that console now, so the event reaches us too: ignore it. The NULL handler only
        // covers Ctrl+C; our own handler covers Ctrl+Break.
        Kernel32.SetConsoleCtrlIgnore(0, ignore: true);
        Kernel32.SetConsoleCtrlHandler(&Ignore, add: true);
        output.WriteLine(string.Join(' ', ConsoleEvents.OurConsoleProcesses().Where(p => p != Environment.ProcessId)));
        output.Flush();
        if (!Kernel32.GenerateConsoleCtrlEvent(ctrlEvent, 0))
        {
            return Fail(Marshal.GetLastPInvokeError(), $"GenerateConsoleCtrlEvent({ctrlEvent}, 0)");
        }

        return 0;
    }

    [UnmanagedCallersOnly]
    private static int Ignore(uint ctrlType) => ctrlType <= 1 ? 1 : 0;

    private static int Fail(int error, string step)
    {
        // stderr is a pipe to the caller, not a console handle, so it survives FreeConsole.
        Console.Error.WriteLine($"{step} failed: [WinError {error}] {Marshal.GetPInvokeErrorMessage(error)}");
        return error == 0 ? WinError.ERROR_GEN_FAILURE : error;
    }
}
