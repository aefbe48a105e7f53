using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// How Ctrl+C and Ctrl+Break reach one console process. Windows only lets a process send console
/// events to the console it is attached to, and Ctrl+C only to the whole console (group 0). So:
/// <list type="bullet">
/// <item><description>If the target shares our console, we send to our console and swallow our own copy.</description></item>
/// <item><description>Otherwise a short-lived helper process attaches to the target's console and sends there
/// (<see cref="ConsoleHelper"/>). The helper is this same program, re-launched with a startup hook of ours:
/// nothing is written to disk.</description></item>
/// </list>
/// </summary>
internal static partial class ConsoleEvents
{
    internal const string HelperVariable = "OSKILL_CONSOLE_HELPER";

    private static readonly object s_gate = new();
    private static readonly TimeSpan OwnEventWait = TimeSpan.FromSeconds(2);
    private static readonly AutoResetEvent s_ownEventSwallowed = new(false);
    private static int s_ownEventsPending;
    private static bool s_handlerInstalled;

    /// <summary>
    /// Sends <paramref name="consoleEvent"/> to the console of <paramref name="pid"/>, and returns
    /// the pids attached to that console when it was sent (the processes it reached; neither the
    /// caller nor the helper).
    /// </summary>
    internal static int[] Send(int pid, ConsoleEvent consoleEvent, TimeSpan timeout)
    {
        if (consoleEvent is not (ConsoleEvent.CtrlC or ConsoleEvent.CtrlBreak))
        {
            throw new ArgumentOutOfRangeException(nameof(consoleEvent), consoleEvent, $"Cannot send console event {(int)consoleEvent} to pid {pid}: only CtrlC and CtrlBreak exist.");
        }

        if (pid <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pid), pid, $"Cannot send {Describe(consoleEvent)} to pid {pid}: ConsoleControl.Send takes the pid of one process. Use Os.Kill(group, Signal.CTRL_C_EVENT) for console process groups.");
        }

        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"Cannot send {Describe(consoleEvent)} to pid {pid}: the helper's time limit is negative; give a positive one, or Timeout.InfiniteTimeSpan for none.");
        }

        if (Audit.HasHooks)
        {
            Audit.Raise("oskill.console_control", pid, (int)consoleEvent);
        }

        if (SharesOurConsole(pid))
        {
            return SendToOurConsole(pid, consoleEvent);
        }

        // Windows' AttachConsole reports a missing pid as 87, Wine's as 6: ask OpenProcess
        // first, which also saves starting a helper for nothing.
        WindowsKill.RequireRunning(pid, (int)consoleEvent);
        return SendThroughHelper(pid, consoleEvent, timeout);
    }

    internal static string Describe(ConsoleEvent consoleEvent) =>
        consoleEvent == ConsoleEvent.CtrlC ? "Ctrl+C (CTRL_C_EVENT)" : "Ctrl+Break (CTRL_BREAK_EVENT)";

    /// <summary>Whether <paramref name="pid"/> is attached to the console we are attached to.</summary>
    private static bool SharesOurConsole(int pid) => OurConsoleProcesses().Contains(pid);

    /// <summary>The pids attached to our console (GetConsoleProcessList), ourselves included; empty when we have no console.</summary>
    internal static unsafe int[] OurConsoleProcesses()
    {
        uint* list = stackalloc uint[64];
        uint count = Kernel32.GetConsoleProcessList(list, 64);
        if (count > 64)
        {
            uint[] larger = new uint[count + 16];
            fixed (uint* p = larger)
            {
                count = Math.Min(Kernel32.GetConsoleProcessList(p, (uint)larger.Length), (uint)larger.Length);
                return Array.ConvertAll(larger[..(int)count], pid => (int)pid);
            }
        }

        return new ReadOnlySpan<uint>(list, (int)count).ToArray().Select(pid => (int)pid).ToArray();
    }

    /// <summary>
    /// Sends to our own console. Our handler goes in front of every other handler of this process
    /// just before the event, and swallows exactly as many events as we sent, so the caller's own
    /// Ctrl+C handlers (Console.CancelKeyPress, PosixSignalRegistration) never see them.
    /// </summary>
    private static unsafe int[] SendToOurConsole(int pid, ConsoleEvent consoleEvent)
    {
        lock (s_gate)
        {
            if (s_handlerInstalled)
            {
                Kernel32.SetConsoleCtrlHandler(&SwallowOwnEvent, add: false);
            }

            if (!Kernel32.SetConsoleCtrlHandler(&SwallowOwnEvent, add: true))
            {
                int error = Marshal.GetLastPInvokeError();
                throw OsException.FromWin32(error, WinError.ToErrno(error), "SetConsoleCtrlHandler", Cannot(pid, consoleEvent), pid, (int)consoleEvent);
            }

            s_handlerInstalled = true;
            int[] reached = [.. OurConsoleProcesses().Where(p => p != Environment.ProcessId)];
            Interlocked.Increment(ref s_ownEventsPending);
            if (!Kernel32.GenerateConsoleCtrlEvent((uint)consoleEvent, 0))
            {
                int error = Marshal.GetLastPInvokeError();
                Interlocked.Decrement(ref s_ownEventsPending);
                OsKillEventSource.Log.WindowsKill(pid, (int)consoleEvent, error);
                throw OsException.FromWin32(error, WinError.ToErrno(error), "GenerateConsoleCtrlEvent", Cannot(pid, consoleEvent), pid, (int)consoleEvent);
            }

            OsKillEventSource.Log.WindowsKill(pid, (int)consoleEvent, 0);

            // Our own copy normally arrives within milliseconds. It never does when this process
            // ignores Ctrl+C (SetConsoleCtrlHandler(NULL, TRUE), or a CREATE_NEW_PROCESS_GROUP
            // start); then take the count back, or it would swallow the next genuine Ctrl+C.
            if (!s_ownEventSwallowed.WaitOne(OwnEventWait))
            {
                TakeOnePending();
            }

            return reached;
        }
    }

    private static void TakeOnePending()
    {
        int pending = Volatile.Read(ref s_ownEventsPending);
        while (pending > 0)
        {
            int seen = Interlocked.CompareExchange(ref s_ownEventsPending, pending - 1, pending);
            if (seen == pending)
            {
                return;
            }

            pending = seen;
        }
    }

    [UnmanagedCallersOnly]
    private static int SwallowOwnEvent(uint ctrlType)
    {
        if (ctrlType > 1)
        {
            return 0;
        }

        // Take one pending event of ours, if there is one; otherwise pass the event on.
        int pending = Volatile.Read(ref s_ownEventsPending);
        while (pending > 0)
        {
            int seen = Interlocked.CompareExchange(ref s_ownEventsPending, pending - 1, pending);
            if (seen == pending)
            {
                s_ownEventSwallowed.Set();
                return 1;
            }

            pending = seen;
        }

        return 0;
    }

    private static int[] SendThroughHelper(int pid, ConsoleEvent consoleEvent, TimeSpan timeout)
    {
        HelperLine line = RunHelper([pid], consoleEvent, timeout)[pid];
        if (line.Error != 0)
        {
            // AttachConsole says 87 for a pid that names no process: "no such process", as in Os.Kill.
            throw Win32Errors.ProcessError(line.Error, "console helper", $"{Cannot(pid, consoleEvent)}: {line.Failure}", pid, (int)consoleEvent);
        }

        // The helper wrote the pids on the target's console before it sent the event.
        return line.Attached;
    }

    /// <summary>
    /// Waits for the helper to exit. Process.WaitForExit(TimeSpan) takes at most int.MaxValue ms
    /// (24.8 days) and throws beyond: a longer limit, like InfiniteTimeSpan, means no limit.
    /// </summary>
    private static bool WaitForHelper(Process helper, TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan || timeout.TotalMilliseconds > int.MaxValue)
        {
            helper.WaitForExit();
            return true;
        }

        return helper.WaitForExit(timeout);
    }

    /// <summary>The helper for <paramref name="request"/> ("PID[,PID...]:EVENT", see <see cref="ConsoleHelper"/>); <paramref name="target"/> names the pids in messages.</summary>
    private static ProcessStartInfo HelperStartInfo(string request, string target, ConsoleEvent consoleEvent)
    {
        string host = Environment.ProcessPath
            ?? throw new InvalidOperationException($"Cannot send {Describe(consoleEvent)} to {target}: this process has no executable path to start the console helper from.");
        var start = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };

        // Launched through the dotnet muxer, the app is the first argument; with an apphost or a
        // self-contained executable there is none.
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }

        start.Environment[HelperVariable] = request;
        if (StartupHooksSupported())
        {
            // Ours goes first: it ends the helper before any other hook or Main can run.
            string? others = Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS");
            string ours = typeof(ConsoleEvents).Assembly.GetName().Name!;
            start.Environment["DOTNET_STARTUP_HOOKS"] = string.IsNullOrEmpty(others) ? ours : ours + Path.PathSeparator + others;
        }
        else if (!ConsoleHelper.EntryPointRegistered)
        {
            throw new InvalidOperationException(
                $"Cannot send {Describe(consoleEvent)} to {target}: it is on another console, which takes a helper process, " +
                "and this app cannot run one: startup hooks are off (NativeAOT or trimmed) and Main does not call " +
                "ConsoleControl.RunHelperIfRequested(). Add that call as the first line of Main.");
        }

        return start;
    }

    private static bool StartupHooksSupported() =>
        !AppContext.TryGetSwitch("System.StartupHookProvider.IsSupported", out bool supported) || supported;

    private static string Cannot(int pid, ConsoleEvent consoleEvent) =>
        $"cannot send {Describe(consoleEvent)} to the console of pid {pid.ToString(CultureInfo.InvariantCulture)}";
}
