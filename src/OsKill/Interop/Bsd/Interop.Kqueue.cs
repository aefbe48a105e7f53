using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    // The same values on macOS and FreeBSD.
    internal const short EVFILT_READ = -1;
    internal const short EVFILT_PROC = -5;
    internal const ushort EV_ADD = 0x0001;
    internal const ushort EV_ONESHOT = 0x0010;
    internal const ushort EV_ERROR = 0x4000;
    internal const uint NOTE_EXIT = 0x80000000;

    /// <summary>
    /// The leading fields of struct kevent, which macOS and FreeBSD share: ident, filter, flags,
    /// fflags, data, udata (32 bytes). FreeBSD 12 and later append ext[4] (64 bytes in all), so
    /// arrays of it are passed with <see cref="KeventSizeMacOS"/> or <see cref="KeventSizeFreeBsd"/> per entry.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Kevent
    {
        internal nuint Ident;
        internal short Filter;
        internal ushort Flags;
        internal uint FFlags;
        internal long Data;
        internal nint UData;
    }

    /// <summary>The size of one struct kevent on macOS.</summary>
    internal const int KeventSizeMacOS = 32;

    /// <summary>The size of one struct kevent on FreeBSD 12 and later.</summary>
    internal const int KeventSizeFreeBsd = 64;

    /// <summary>kqueue(2): a new kernel event queue, or −1 with errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "kqueue", SetLastError = true)]
    internal static partial int Kqueue();

    /// <summary>kevent(2): registers changes and waits for events; the number of events, or −1 with errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "kevent", SetLastError = true)]
    internal static unsafe partial int KeventCall(int kq, void* changes, int changeCount, void* events, int eventCount, void* timeout);
}
