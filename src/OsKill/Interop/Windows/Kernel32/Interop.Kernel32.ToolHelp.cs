using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>CreateToolhelp32Snapshot flag: every process in the system.</summary>
    internal const uint TH32CS_SNAPPROCESS = 0x00000002;

    /// <summary>What CreateToolhelp32Snapshot returns on failure.</summary>
    internal const nint INVALID_HANDLE_VALUE = -1;

    /// <summary>ERROR_NO_MORE_FILES: Process32NextW has passed the last process.</summary>
    internal const int ERROR_NO_MORE_FILES = 18;

    /// <summary>CreateToolhelp32Snapshot: a snapshot of the processes (with <see cref="TH32CS_SNAPPROCESS"/>), or <see cref="INVALID_HANDLE_VALUE"/>.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "CreateToolhelp32Snapshot", SetLastError = true)]
    internal static partial nint CreateToolhelp32Snapshot(uint flags, uint processId);

    /// <summary>Process32FirstW: the first process of the snapshot; <see cref="ProcessEntry32.Size"/> must be set.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "Process32FirstW", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static unsafe partial bool Process32First(nint snapshot, ProcessEntry32* entry);

    /// <summary>Process32NextW: the next process of the snapshot; false with <see cref="ERROR_NO_MORE_FILES"/> at the end.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "Process32NextW", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static unsafe partial bool Process32Next(nint snapshot, ProcessEntry32* entry);

    /// <summary>PROCESSENTRY32W. Only the pid and the parent pid are used.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct ProcessEntry32
    {
        internal uint Size;
        internal uint Usage;
        internal uint ProcessId;
        internal nuint DefaultHeapId;
        internal uint ModuleId;
        internal uint Threads;
        internal uint ParentProcessId;
        internal int PriorityClassBase;
        internal uint Flags;
        internal fixed char ExeFile[260];
    }
}
