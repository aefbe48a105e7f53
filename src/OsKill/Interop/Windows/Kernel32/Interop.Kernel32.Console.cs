using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>GenerateConsoleCtrlEvent: sends CTRL_C_EVENT (0) or CTRL_BREAK_EVENT (1) to a process group on our console (0: the whole console).</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "GenerateConsoleCtrlEvent", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool GenerateConsoleCtrlEvent(uint ctrlEvent, uint processGroupId);

    /// <summary>SetConsoleCtrlHandler with a handler routine: adds it in front of the others, or removes it.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "SetConsoleCtrlHandler", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static unsafe partial bool SetConsoleCtrlHandler(delegate* unmanaged<uint, int> handler, [MarshalAs(UnmanagedType.Bool)] bool add);

    /// <summary>SetConsoleCtrlHandler(NULL, ignore): whether this process ignores Ctrl+C.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "SetConsoleCtrlHandler", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool SetConsoleCtrlIgnore(nint mustBeZero, [MarshalAs(UnmanagedType.Bool)] bool ignore);

    /// <summary>FreeConsole: detaches from our console.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "FreeConsole", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool FreeConsole();

    /// <summary>AttachConsole: attaches to the console of process <paramref name="processId"/>.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "AttachConsole", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool AttachConsole(int processId);

    /// <summary>GetConsoleProcessList: the pids attached to our console; 0 when we have none.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "GetConsoleProcessList", SetLastError = true)]
    internal static unsafe partial uint GetConsoleProcessList(uint* processList, uint count);
}
