using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    // Linux values (the same on x64, arm64 and the other architectures .NET runs on).
    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_NONBLOCK_Linux = 0x800;
    internal const int O_CLOEXEC_Linux = 0x80000;

    /// <summary>
    /// open(2) without O_CREAT, so without the variadic mode argument: a descriptor, or −1 with
    /// errno. Used for /proc and cgroup files, where the errno matters (ENOENT: the process is
    /// gone; EACCES: not allowed) and .NET's file APIs would turn it into exceptions.
    /// </summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags);
}
