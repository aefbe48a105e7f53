using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>The most handles one WaitForMultipleObjects call takes.</summary>
    internal const int MAXIMUM_WAIT_OBJECTS = 64;

    /// <summary>What a wait returns when it failed; the error is in GetLastError.</summary>
    internal const uint WAIT_FAILED = 0xFFFFFFFF;

    /// <summary>A timeout that never expires.</summary>
    internal const uint INFINITE = 0xFFFFFFFF;

    /// <summary>WaitForMultipleObjects: WAIT_OBJECT_0 + the index of the (first) signalled handle, WAIT_TIMEOUT or WAIT_FAILED.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "WaitForMultipleObjects", SetLastError = true)]
    internal static unsafe partial uint WaitForMultipleObjects(uint count, nint* handles, [MarshalAs(UnmanagedType.Bool)] bool waitAll, uint milliseconds);
}
