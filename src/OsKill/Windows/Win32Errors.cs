using System.Runtime.InteropServices;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// Win32 errors of calls that name a process, turned into OsKill's exceptions in one place: a pid
/// that names no process is ERROR_INVALID_PARAMETER to OpenProcess, and is
/// <see cref="ProcessLookupException"/> (ESRCH) here, as it is on POSIX (CPython raises a bare
/// OSError with winerror 87).
/// </summary>
internal static class Win32Errors
{
    /// <summary>The errno for <paramref name="error"/> from a call that names a process: ESRCH for ERROR_INVALID_PARAMETER.</summary>
    internal static int ProcessErrno(int error) =>
        error == WinError.ERROR_INVALID_PARAMETER ? Errno.ESRCH : WinError.ToErrno(error);

    /// <summary>
    /// The exception for the last error of <paramref name="operation"/> (read here, so call it
    /// right after the failed call), a call that named a process.
    /// </summary>
    internal static OsException LastProcessError(string operation, string what, int? pid, int? sig) =>
        ProcessError(Marshal.GetLastPInvokeError(), operation, what, pid, sig);

    /// <summary>The exception for <paramref name="error"/> from <paramref name="operation"/>, a call that named a process.</summary>
    internal static OsException ProcessError(int error, string operation, string what, int? pid, int? sig) =>
        OsException.FromWin32(error, ProcessErrno(error), operation, what, pid, sig);
}
