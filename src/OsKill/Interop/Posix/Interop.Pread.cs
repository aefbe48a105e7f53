using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>
    /// pread(2): reads from an offset without moving the file position. Reading a /proc or cgroup
    /// file from offset 0 again gives its current contents.
    /// </summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "pread", SetLastError = true)]
    internal static unsafe partial nint Pread(int fd, byte* buffer, nuint count, long offset);
}
