using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>
    /// The run-time value of SIGRTMIN. glibc and musl both export this function; the C macro
    /// SIGRTMIN expands to a call of it, because the C library reserves the first real-time
    /// signals for itself (glibc: 32 and 33).
    /// </summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "__libc_current_sigrtmin")]
    internal static partial int CurrentSigRtMin();

    /// <summary>The run-time value of SIGRTMAX (glibc, musl).</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "__libc_current_sigrtmax")]
    internal static partial int CurrentSigRtMax();
}
