using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>
    /// pthread_kill(3). Returns the error number itself (0 on success); it does not set errno.
    /// glibc 2.34 and later export it from libc; older glibc kept it in libpthread.
    /// </summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "pthread_kill")]
    internal static partial int PthreadKill(nuint thread, int sig);

    /// <summary>pthread_self(3): the calling thread's pthread_t.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "pthread_self")]
    internal static partial nuint PthreadSelf();
}
