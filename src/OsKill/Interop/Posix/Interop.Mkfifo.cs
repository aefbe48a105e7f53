using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>mkfifo(3): 0, or −1 with errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Mkfifo(string path, uint mode);
}
