using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>pipe(2): two descriptors, read end first; 0, or −1 with errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "pipe", SetLastError = true)]
    internal static unsafe partial int Pipe(int* fds);
}
