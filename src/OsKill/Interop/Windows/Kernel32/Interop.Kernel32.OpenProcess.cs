using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    internal const uint PROCESS_TERMINATE = 0x0001;
    internal const uint PROCESS_SUSPEND_RESUME = 0x0800;

    /// <summary>What Wine 8's IsProcessInJob asks of the process handle (Windows also takes <see cref="PROCESS_QUERY_LIMITED_INFORMATION"/>).</summary>
    internal const uint PROCESS_QUERY_INFORMATION = 0x0400;
    internal const uint PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
    internal const uint SYNCHRONIZE = 0x00100000;

    /// <summary>OpenProcess: a handle with the rights asked for, or 0 with the error in GetLastError.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "OpenProcess", SetLastError = true)]
    internal static partial nint OpenProcess(uint desiredAccess, [MarshalAs(UnmanagedType.Bool)] bool inheritHandle, int processId);

    /// <summary>CloseHandle.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "CloseHandle", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool CloseHandle(nint handle);
}
