namespace OsKill.Interop;

/// <summary>The Win32 error codes OsKill maps to exception types, and their errno equivalents.</summary>
internal static class WinError
{
    internal const int ERROR_ACCESS_DENIED = 5;
    internal const int ERROR_INVALID_HANDLE = 6;
    internal const int ERROR_INVALID_PARAMETER = 87;
    internal const int ERROR_GEN_FAILURE = 31;

    /// <summary>The errno CPython gives a Win32 error (winerror_to_errno), for <see cref="OsException.Errno"/>.</summary>
    internal static int ToErrno(int winError) => winError switch
    {
        ERROR_ACCESS_DENIED => Errno.EACCES,
        ERROR_INVALID_HANDLE => Errno.EBADF,
        _ => Errno.EINVAL,
    };
}
