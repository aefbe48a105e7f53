using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>strsignal(3): the C library's description of a signal, as a pointer to a C string.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "strsignal")]
    internal static partial nint StrSignal(int sig);
}
