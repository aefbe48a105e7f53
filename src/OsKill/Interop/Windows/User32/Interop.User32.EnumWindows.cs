using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class User32
{
    /// <summary>
    /// EnumWindows: calls <paramref name="callback"/> (hwnd, <paramref name="state"/>) for every
    /// top-level window of the desktop, until it returns 0.
    /// </summary>
    [LibraryImport(Libraries.User32, EntryPoint = "EnumWindows", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static unsafe partial bool EnumWindows(delegate* unmanaged<nint, nint, int> callback, nint state);
}
