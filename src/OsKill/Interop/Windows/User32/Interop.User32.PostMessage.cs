using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class User32
{
    /// <summary>WM_CLOSE: the window is asked to close (what its close button and taskkill without /F send).</summary>
    internal const uint WM_CLOSE = 0x0010;

    /// <summary>ERROR_INVALID_WINDOW_HANDLE: the window has been destroyed.</summary>
    internal const int ERROR_INVALID_WINDOW_HANDLE = 1400;

    /// <summary>PostMessageW: queues the message for the window's thread and returns at once.</summary>
    [LibraryImport(Libraries.User32, EntryPoint = "PostMessageW", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool PostMessage(nint window, uint message, nint wParam, nint lParam);
}
