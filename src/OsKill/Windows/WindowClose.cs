using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// The polite close of a GUI process, as taskkill without /F does it: WM_CLOSE posted to every
/// top-level window the process owns (<see cref="System.Diagnostics.Process.CloseMainWindow"/>
/// reaches only the main window). The window's program decides: it may close, ask the user, or
/// ignore it.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowClose
{
    /// <summary>A top-level window and whether it is visible (WS_VISIBLE).</summary>
    internal readonly record struct TopLevelWindow(nint Handle, bool Visible);

    /// <summary>
    /// The top-level windows (EnumWindows) that the processes <paramref name="pids"/> own, by pid;
    /// a process without one is not in the result, and none is where Windows has no user32.dll (Nano Server).
    /// </summary>
    /// <exception cref="OsException">EnumWindows failed.</exception>
    internal static unsafe Dictionary<int, List<TopLevelWindow>> OwnedBy(IReadOnlySet<int> pids)
    {
        var all = new List<nint>();
        var list = GCHandle.Alloc(all);
        try
        {
            if (!User32.EnumWindows(&Collect, GCHandle.ToIntPtr(list)))
            {
                int error = Marshal.GetLastPInvokeError();
                if (error != 0)
                {
                    throw OsException.FromWin32(error, WinError.ToErrno(error), "EnumWindows", "cannot list the top-level windows of the process container's members", null, null);
                }
            }
        }
        catch (DllNotFoundException)
        {
            // No user32.dll (Nano Server): no window manager, so no process owns a window.
            return [];
        }
        finally
        {
            list.Free();
        }

        var owned = new Dictionary<int, List<TopLevelWindow>>();
        foreach (nint window in all)
        {
            if (User32.GetWindowThreadProcessId(window, out int pid) != 0 && pids.Contains(pid))
            {
                if (!owned.TryGetValue(pid, out List<TopLevelWindow>? windows))
                {
                    owned[pid] = windows = [];
                }

                windows.Add(new TopLevelWindow(window, User32.IsWindowVisible(window)));
            }
        }

        return owned;
    }

    /// <summary>
    /// Posts WM_CLOSE to each of <paramref name="windows"/> that process <paramref name="pid"/> still
    /// owns (asked again just before: a window that has gone may have left its handle to another
    /// process's). Returns how many were posted; a window that went away meanwhile is skipped.
    /// </summary>
    /// <exception cref="OsException">PostMessageW failed otherwise (access denied: a window of a higher integrity level), naming the pid.</exception>
    internal static int Post(int pid, List<TopLevelWindow> windows, int signal)
    {
        int posted = 0;
        foreach (TopLevelWindow window in windows)
        {
            if (User32.GetWindowThreadProcessId(window.Handle, out int owner) == 0 || owner != pid)
            {
                continue;
            }

            if (User32.PostMessage(window.Handle, User32.WM_CLOSE, 0, 0))
            {
                posted++;
                continue;
            }

            int error = Marshal.GetLastPInvokeError();
            if (error != User32.ERROR_INVALID_WINDOW_HANDLE)
            {
                throw OsException.FromWin32(error, WinError.ToErrno(error), "PostMessageW", $"cannot post WM_CLOSE to window 0x{window.Handle:x} of pid {pid}", pid, signal);
            }
        }

        if (posted > 0)
        {
            OsKillEventSource.Log.WindowsKill(pid, signal, 0);
        }

        return posted;
    }

    [UnmanagedCallersOnly]
    private static int Collect(nint window, nint state)
    {
        ((List<nint>)GCHandle.FromIntPtr(state).Target!).Add(window);
        return 1;
    }
}
