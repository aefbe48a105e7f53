using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>
    /// QueryFullProcessImageNameW: the path of the process's executable (flags 0: the Win32 form).
    /// <paramref name="size"/> is the buffer's length in characters on the way in, the path's
    /// (without the terminating null) on the way out. Needs PROCESS_QUERY_LIMITED_INFORMATION.
    /// </summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "QueryFullProcessImageNameW", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static unsafe partial bool QueryFullProcessImageName(nint process, uint flags, char* exeName, ref uint size);
}
