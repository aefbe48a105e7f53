using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>
    /// sigqueue(3): sends a signal with a value (union sigval, passed by value in one register;
    /// an int value sits in its low 32 bits on little-endian machines).
    /// </summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "sigqueue", SetLastError = true)]
    internal static partial int SigQueue(int pid, int sig, nint value);
}
