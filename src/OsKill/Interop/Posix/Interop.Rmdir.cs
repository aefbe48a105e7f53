using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>rmdir(2): 0, or −1 with errno (EBUSY for a cgroup that still has processes).</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Rmdir(string path);
}
