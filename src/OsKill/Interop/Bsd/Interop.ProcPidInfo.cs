using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>PROC_PIDTBSDINFO: a struct proc_bsdinfo (macOS).</summary>
    internal const int PROC_PIDTBSDINFO = 3;

    /// <summary>sizeof(struct proc_bsdinfo) on macOS, every architecture.</summary>
    internal const int ProcBsdInfoSize = 136;

    /// <summary>Offset of pbi_status (uint32) in struct proc_bsdinfo.</summary>
    internal const int ProcBsdInfoStatusOffset = 4;

    /// <summary>Offset of pbi_pid (uint32) in struct proc_bsdinfo.</summary>
    internal const int ProcBsdInfoPidOffset = 12;

    /// <summary>Offset of pbi_start_tvsec (uint64), followed by pbi_start_tvusec (uint64), in struct proc_bsdinfo.</summary>
    internal const int ProcBsdInfoStartOffset = 120;

    /// <summary>
    /// proc_pidinfo(3) (macOS libproc, part of libSystem): the number of bytes written, or 0 or
    /// less with errno (ESRCH when there is no such process).
    /// </summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "proc_pidinfo", SetLastError = true)]
    internal static unsafe partial int ProcPidInfo(int pid, int flavor, ulong arg, void* buffer, int bufferSize);
}
