using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>The pseudo-handle of the calling process, as GetCurrentProcess returns it: valid without being opened or closed.</summary>
    internal const nint CurrentProcess = -1;

    internal const uint DUPLICATE_SAME_ACCESS = 0x00000002;

    /// <summary>DuplicateHandle: a second handle on the same object, closed on its own; false with the error in GetLastError.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "DuplicateHandle", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool DuplicateHandle(
        nint sourceProcess,
        nint sourceHandle,
        nint targetProcess,
        out nint targetHandle,
        uint desiredAccess,
        [MarshalAs(UnmanagedType.Bool)] bool inheritHandle,
        uint options);
}
