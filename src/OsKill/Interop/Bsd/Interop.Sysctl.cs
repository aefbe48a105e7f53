using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    // FreeBSD sys/sysctl.h: kern.proc.pid.<pid> gives one struct kinfo_proc.
    internal const int CTL_KERN = 1;
    internal const int KERN_PROC = 14;
    internal const int KERN_PROC_PID = 1;

    /// <summary>sizeof(struct kinfo_proc) on 64-bit FreeBSD (KINFO_PROC_SIZE on amd64 and arm64).</summary>
    internal const int KinfoProcSize = 1088;

    /// <summary>Offset of ki_pid (int32) in struct kinfo_proc on 64-bit FreeBSD.</summary>
    internal const int KinfoProcPidOffset = 72;

    /// <summary>Offset of ki_start (struct timeval: two int64) in struct kinfo_proc on 64-bit FreeBSD.</summary>
    internal const int KinfoProcStartOffset = 336;

    /// <summary>Offset of ki_stat (char, SZOMB = 5 for a zombie) in struct kinfo_proc on 64-bit FreeBSD.</summary>
    internal const int KinfoProcStatOffset = 388;

    /// <summary>sysctl(3): 0, or −1 with errno (ESRCH for kern.proc.pid of a missing process).</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "sysctl", SetLastError = true)]
    internal static unsafe partial int Sysctl(int* name, uint nameLength, void* oldValue, nuint* oldLength, void* newValue, nuint newLength);
}
