using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>kill(2): send <paramref name="sig"/> to a process or process group.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int sig);
}
