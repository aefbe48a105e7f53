using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    internal const int PRIO_PROCESS = 0;

    /// <summary>
    /// getpriority(2). On Linux the nice value belongs to a thread, and PRIO_PROCESS with who 0 is
    /// the calling thread. −1 is a valid result: clear errno first (<see cref="Marshal.SetLastPInvokeError"/>).
    /// </summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "getpriority", SetLastError = true)]
    internal static partial int GetPriority(int which, uint who);

    /// <summary>setpriority(2): with PRIO_PROCESS and who 0, the calling thread's nice value on Linux.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "setpriority", SetLastError = true)]
    internal static partial int SetPriority(int which, uint who, int prio);
}
