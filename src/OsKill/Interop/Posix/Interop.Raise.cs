using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>raise(3): send a signal to the calling thread.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "raise", SetLastError = true)]
    internal static partial int Raise(int sig);
}
