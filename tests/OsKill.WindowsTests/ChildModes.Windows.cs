using System.Runtime.InteropServices;

namespace OsKill.WindowsTests;

/// <summary>The window child: a GUI member for the polite close of a container (WM_CLOSE).</summary>
internal static unsafe partial class ChildModes
{
    /// <summary>Exit code of a window child that could not create its window (the reason is in its report, "no window: ...").</summary>
    internal const int NoWindow = 4;

    private static string? s_windowReport;

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
}
