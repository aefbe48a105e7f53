using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    internal const uint WAIT_OBJECT_0 = 0;
    internal const uint WAIT_TIMEOUT = 0x102;

    /// <summary>WaitForSingleObject: with a timeout of 0, tells whether a process has already exited.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "WaitForSingleObject", SetLastError = true)]
    internal static partial uint WaitForSingleObject(nint handle, uint milliseconds);
}
