using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class User32
{
    /// <summary>IsWindowVisible: whether the window has the WS_VISIBLE style (and so do its parents).</summary>
    [LibraryImport(Libraries.User32, EntryPoint = "IsWindowVisible")]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool IsWindowVisible(nint window);
}
