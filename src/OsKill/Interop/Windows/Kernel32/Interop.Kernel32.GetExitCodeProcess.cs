using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    internal const uint STILL_ACTIVE = 259;

    /// <summary>GetExitCodeProcess.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "GetExitCodeProcess", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool GetExitCodeProcess(nint process, out uint exitCode);
}
