using System.Globalization;
using OsKill.Interop;

namespace OsKill.Posix;

/// <summary>How a signal reaches one thread of this process: pthread_kill with a pthread_t.</summary>
internal static class ThreadSignals
{
    internal static nuint Self()
    {
        RequirePosix("Signal.CurrentThreadId");
        return Libc.PthreadSelf();
    }

    internal static void Kill(nuint threadId, int sig)
    {
        RequirePosix("Signal.PthreadKill");

        // pthread_kill returns the error number; it does not set errno.
        int errno = Libc.PthreadKill(threadId, sig);
        OsKillEventSource.Log.PthreadKill((long)threadId, sig, errno);
        if (errno != 0)
        {
            string target = "thread 0x" + threadId.ToString("x", CultureInfo.InvariantCulture);
            throw OsException.FromErrno(errno, "pthread_kill", OsException.Sending(sig, target), null, sig);
        }
    }

    private static void RequirePosix(string api)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException($"{api}: Windows has no pthreads and no thread-directed signals.");
        }
    }
}
