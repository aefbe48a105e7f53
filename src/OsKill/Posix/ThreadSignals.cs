using System.Globalization;
using System.Runtime.Versioning;
using OsKill.Interop;

namespace OsKill.Posix;

/// <summary>How a signal reaches one thread of this process: pthread_kill with a pthread_t.</summary>
[UnsupportedOSPlatform("windows")]
internal static class ThreadSignals
{
    internal static nuint Self() => Libc.PthreadSelf();

    internal static void Kill(nuint threadId, int sig)
    {
        // pthread_kill returns the error number; it does not set errno.
        int errno = Libc.PthreadKill(threadId, sig);
        OsKillEventSource.Log.PthreadKill((long)threadId, sig, errno);
        if (errno != 0)
        {
            string target = "thread 0x" + threadId.ToString("x", CultureInfo.InvariantCulture);
            throw OsException.FromErrno(errno, "pthread_kill", OsException.Sending(sig, target), null, sig);
        }
    }
}

