namespace OsKill.Interop;

/// <summary>
/// The errno values that OsKill tests for. They have the same numbers on Linux, macOS and FreeBSD.
/// </summary>
internal static class Errno
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
    internal const int EINTR = 4;
    internal const int EBADF = 9;
    internal const int EACCES = 13;
    internal const int EBUSY = 16;
    internal const int EINVAL = 22;
    internal const int ENFILE = 23;
    internal const int EMFILE = 24;
    internal const int EROFS = 30;
    internal const int ENOSYS_Linux = 38;
}
