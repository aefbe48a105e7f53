using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>gettid(2): the kernel thread id of the calling thread (Linux; glibc 2.30+, musl 1.2.2+).</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "gettid")]
    internal static partial int GetTid();
}
