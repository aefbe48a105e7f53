using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OsKill.WindowsTests;

/// <summary>
/// The children of the container stop cases: a GUI member for the polite close (WM_CLOSE), and
/// console members that count the Ctrl+C events they get.
/// </summary>
internal static unsafe partial class ChildModes
{
    /// <summary>Exit code of a window child that could not create its window (the reason is in its report, "no window: ...").</summary>
    internal const int NoWindow = 4;

    private static string? s_windowReport;
    private static int s_ctrlCCount;

    /// <summary>
    /// Creates a visible top-level window with a message loop; on WM_CLOSE writes "got wm-close",
    /// destroys the window and exits 0. A console event is written down ("got console event N")
    /// and handled, so that it does not end the child. Writes "ready PID window HWND", or
    /// "no window: ..." and exits 4 where no window can be created (Wine without a display).
    /// </summary>
    private static int Window(string report)
    {
        s_windowReport = report;
        if (!Native.SetConsoleCtrlHandler(null, false) || !Native.SetConsoleCtrlHandler(&WindowCtrlHandler, true))
        {
            Write(report, $"cannot install the console handler: {Marshal.GetLastPInvokeError()}");
            return 10;
        }

        nint instance = Native.GetModuleHandle(null!);
        nint window;
        fixed (char* name = "OsKillTestWindow")
        {
            var windowClass = new Native.WindowClass
            {
                Size = (uint)sizeof(Native.WindowClass),
                WindowProc = &WindowProc,
                Instance = instance,
                ClassName = name,
            };
            if (Native.RegisterClassEx(&windowClass) == 0)
            {
                Write(report, $"no window: RegisterClassExW failed with WinError {Marshal.GetLastPInvokeError()}");
                return NoWindow;
            }

            window = Native.CreateWindowEx(0, name, name, Native.WS_OVERLAPPEDWINDOW | Native.WS_VISIBLE, 0, 0, 200, 100, 0, 0, instance, 0);
            if (window == 0)
            {
                Write(report, $"no window: CreateWindowExW failed with WinError {Marshal.GetLastPInvokeError()}");
                return NoWindow;
            }
        }

        Write(report, $"ready {Environment.ProcessId} window 0x{window:x}");
        Native.Message message;
        int got;
        while ((got = Native.GetMessage(&message, 0, 0, 0)) > 0)
        {
            _ = Native.TranslateMessage(&message);
            _ = Native.DispatchMessage(&message);
        }

        Write(report, got == 0 ? "quit" : $"GetMessageW failed with WinError {Marshal.GetLastPInvokeError()}");
        return got == 0 ? 0 : 5;
    }

    [UnmanagedCallersOnly]
    private static nint WindowProc(nint window, uint message, nint wParam, nint lParam)
    {
        switch (message)
        {
            case Native.WM_CLOSE:
                Write(s_windowReport!, "got wm-close");
                _ = Native.DestroyWindow(window);
                return 0;
            case Native.WM_DESTROY:
                Native.PostQuitMessage(0);
                return 0;
            default:
                return Native.DefWindowProc(window, message, wParam, lParam);
        }
    }

    [UnmanagedCallersOnly]
    private static int WindowCtrlHandler(uint ctrlType)
    {
        Write(s_windowReport!, $"got console event {ctrlType}");
        return 1;
    }

    /// <summary>
    /// Counts the Ctrl+C events it gets; with "child", first starts a second "ctrl-count" on its own
    /// console (inherited). Writes "ready PID [child CPID]"; after the first event, waits 2 s for
    /// more, writes "count N" and exits 130 for exactly one, 100 + N for more (3 after 60 s of none).
    /// </summary>
    private static int CtrlCount(string report, bool child)
    {
        if (!Native.SetConsoleCtrlHandler(null, false) || !Native.SetConsoleCtrlHandler(&CountCtrlC, true))
        {
            Write(report, $"cannot install the console handler: {Marshal.GetLastPInvokeError()}");
            return 10;
        }

        string ready = $"ready {Environment.ProcessId}";
        Process? second = null;
        if (child)
        {
            string childReport = report + ".child";
            second = StartSelf("ctrl-count", childReport);
            if (WaitForLine(childReport, $"ready {second.Id}", TimeSpan.FromSeconds(60)) is null)
            {
                Write(report, $"the child {second.Id} never became ready");
                return 13;
            }

            ready += $" child {second.Id}";
        }

        Write(report, ready);
        if (!s_gotEvent.Wait(TimeSpan.FromSeconds(60)))
        {
            Write(report, "saw nothing");
            return SawNothing;
        }

        Thread.Sleep(2000);
        int count = Volatile.Read(ref s_ctrlCCount);
        Write(report, $"count {count}");
        GC.KeepAlive(second);
        return count == 1 ? GotCtrlC : 100 + count;
    }

    [UnmanagedCallersOnly]
    private static int CountCtrlC(uint ctrlType)
    {
        if (ctrlType == 0)
        {
            Interlocked.Increment(ref s_ctrlCCount);
            s_gotEvent.Set();
        }

        return 1;
    }
}
