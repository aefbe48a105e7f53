using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class User32
{
    /// <summary>GetWindowThreadProcessId: the thread that created the window (0 when it is no window), and the pid that owns it.</summary>
    [LibraryImport(Libraries.User32, EntryPoint = "GetWindowThreadProcessId", SetLastError = true)]
    internal static partial uint GetWindowThreadProcessId(nint window, out int processId);
}
