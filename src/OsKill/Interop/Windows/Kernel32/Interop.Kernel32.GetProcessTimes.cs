using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>GetProcessTimes: the creation time (and exit, kernel and user times) as FILETIMEs, in 100 ns ticks.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "GetProcessTimes", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool GetProcessTimes(nint process, out long creationTime, out long exitTime, out long kernelTime, out long userTime);
}
