using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const uint EPOLLIN = 0x001;
    internal const uint EPOLLONESHOT = 1u << 30;

    /// <summary>
    /// The size of struct epoll_event { uint32_t events; uint64_t data; }. The kernel packs it on
    /// x86-64 (12 bytes, data at offset 4), and 32-bit x86 aligns a uint64_t to 4 bytes, which gives
    /// the same layout; every other architecture .NET runs on aligns data to 8 (16 bytes, data at offset 8).
    /// </summary>
    internal static int EpollEventSize => EpollEventIsPacked ? 12 : 16;

    private static bool EpollEventIsPacked =>
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    /// <summary>Writes entry <paramref name="index"/> of an array of struct epoll_event.</summary>
    internal static unsafe void SetEpollEvent(byte* events, int index, uint flags, ulong data)
    {
        byte* e = events + (index * EpollEventSize);
        *(uint*)e = flags;
        Unsafe.WriteUnaligned(e + (EpollEventIsPacked ? 4 : 8), data);
    }

    /// <summary>The data of entry <paramref name="index"/> of an array of struct epoll_event.</summary>
    internal static unsafe ulong EpollEventData(byte* events, int index) =>
        Unsafe.ReadUnaligned<ulong>(events + (index * EpollEventSize) + (EpollEventIsPacked ? 4 : 8));

    /// <summary>epoll_create1(2): a new epoll instance, or −1 with errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    /// <summary>epoll_ctl(2): adds, changes or removes the watch on <paramref name="fd"/>; 0, or −1 with errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static unsafe partial int EpollCtl(int epfd, int op, int fd, void* epollEvent);

    /// <summary>epoll_wait(2): the number of ready entries written to <paramref name="events"/>, or −1 with errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static unsafe partial int EpollWait(int epfd, void* events, int maxEvents, int timeoutMilliseconds);
}
