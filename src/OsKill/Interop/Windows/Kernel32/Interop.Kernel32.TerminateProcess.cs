using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>TerminateProcess: ends the process with this exit code.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "TerminateProcess", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool TerminateProcess(nint process, uint exitCode);
}
