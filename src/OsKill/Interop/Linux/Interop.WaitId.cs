using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    internal const int P_PIDFD = 3;
    internal const int WEXITED = 4;
    internal const int WNOHANG = 1;
    internal const int WNOWAIT = 0x01000000;

    internal const int CLD_EXITED = 1;
    internal const int CLD_KILLED = 2;
    internal const int CLD_DUMPED = 3;

    /// <summary>waitid(2). With WNOWAIT it reads a child's status and leaves it for the real reaper.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "waitid", SetLastError = true)]
    internal static unsafe partial int WaitId(int idType, int id, byte* info, int options);
}
