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
/// the Win32 error of the step that failed. Given several pids (a container's console members), it
/// does so for each console once, in one process (see <see cref="Run"/>). It runs from our startup hook, before
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

    /// <summary>
    /// Runs a request "PID[,PID...]:EVENT": for each pid in turn, unless an event already sent
    /// reached it, joins its console, writes "PID sent A B C" (the pids attached to that console, which
    /// the event reaches) and sends the event to the whole console; writes "PID same" for a pid
    /// already reached, "PID error N STEP" for a step that failed. With one pid, a failure is also
    /// written to stderr and is the exit code; with more, the exit code is 0 once each has its line.
    /// </summary>
    private static unsafe int Run(string request)
    {
        string[] parts = request.Split(':');
        int[] pids = parts.Length == 2 ? ParsePids(parts[0]) : [];
        if (pids.Length == 0
            || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint ctrlEvent)
            || ctrlEvent > 1)
        {
            return Fail(WinError.ERROR_INVALID_PARAMETER, $"bad request '{request}'");
        }

        // stdout is a pipe to the caller: take it before the console changes.
        TextWriter output = Console.Out;
        var reached = new HashSet<int>();
        bool handlerAdded = false;
        foreach (int pid in pids)
        {
            if (reached.Contains(pid))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pid} same"));
                continue;
            }

            // Leave whatever console we were on, and join the target's.
            Kernel32.FreeConsole();
            (int error, string step) = Kernel32.AttachConsole(pid) ? (0, string.Empty) : (Marshal.GetLastPInvokeError(), $"AttachConsole({pid})");
            if (error == 0)
            {
                // We are on that console now, so the event reaches us too: ignore it. The NULL
                // handler only covers Ctrl+C; our own handler covers Ctrl+Break.
                Kernel32.SetConsoleCtrlIgnore(0, ignore: true);
                if (!handlerAdded)
                {
                    handlerAdded = Kernel32.SetConsoleCtrlHandler(&Ignore, add: true);
                }

                int[] attached = [.. ConsoleEvents.OurConsoleProcesses().Where(p => p != Environment.ProcessId)];
                if (Kernel32.GenerateConsoleCtrlEvent(ctrlEvent, 0))
                {
                    reached.UnionWith(attached);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pid} sent {string.Join(' ', attached)}"));
                    continue;
                }

                (error, step) = (Marshal.GetLastPInvokeError(), $"GenerateConsoleCtrlEvent({ctrlEvent}, 0)");
            }

            error = error == 0 ? WinError.ERROR_GEN_FAILURE : error;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pid} error {error} {step} failed: {Marshal.GetPInvokeErrorMessage(error)}"));
            if (pids.Length == 1)
            {
                output.Flush();
                return Fail(error, step);
            }
        }

        output.Flush();
        return 0;
    }

    private static int[] ParsePids(string list)
    {
        string[] items = list.Split(',');
        int[] pids = new int[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!int.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out pids[i]) || pids[i] <= 0)
            {
                return [];
            }
        }

        return pids;
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
