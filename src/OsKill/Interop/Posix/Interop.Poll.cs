using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    internal const short POLLIN = 0x001;
    internal const short POLLPRI = 0x002;
    internal const short POLLERR = 0x008;
    internal const short POLLHUP = 0x010;
    internal const short POLLNVAL = 0x020;

    /// <summary>struct pollfd: the same layout on every Linux architecture.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        internal int Fd;
        internal short Events;
        internal short REvents;
    }

    /// <summary>poll(2). A pidfd polls readable once its process has exited.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);
}
