using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>Linux's F_DUPFD_CLOEXEC: duplicate to the lowest free number at or above the argument, close-on-exec.</summary>
    internal const int F_DUPFD_CLOEXEC_Linux = 1030;

    // fcntl is variadic; its third argument here is an int, which the x64 and arm64 Linux calling
    // conventions pass exactly like a fixed argument (as for syscall in Interop.Pidfd.cs).

    /// <summary>fcntl(2) with an integer argument: a descriptor (for F_DUPFD_CLOEXEC), or −1 with errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int cmd, int arg);
}
