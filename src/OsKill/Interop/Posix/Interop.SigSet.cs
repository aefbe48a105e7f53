using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>
    /// Bytes reserved for a sigset_t: glibc's is 128, FreeBSD's 16, macOS's 4. We over-allocate
    /// so that no platform's sigfillset writes past the buffer.
    /// </summary>
    internal const int SigSetBufferSize = 256;

    /// <summary>sigfillset(3): a set holding every signal that the C library lets a program use.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "sigfillset", SetLastError = true)]
    internal static unsafe partial int SigFillSet(byte* set);

    /// <summary>sigismember(3): 1 if <paramref name="sig"/> is in the set, 0 if not, -1 on error.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "sigismember", SetLastError = true)]
    internal static unsafe partial int SigIsMember(byte* set, int sig);
}
