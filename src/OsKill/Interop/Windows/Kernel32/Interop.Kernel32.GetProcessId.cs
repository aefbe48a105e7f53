using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>GetProcessId: the pid behind a process handle, or 0 with the error in GetLastError.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "GetProcessId", SetLastError = true)]
    internal static partial int GetProcessId(nint process);
}
