using System.Runtime.InteropServices;
using OsKill.Interop;

namespace OsKill.Posix;

/// <summary>
/// Raises the calling thread to nice −20 for the few milliseconds of a freeze and a kill, and puts
/// it back on dispose.
/// </summary>
/// <remarks>
/// Against a tree that forks as fast as the machine can, the killer competes for the CPU with
/// hundreds of runnable members; at equal priority it gets so little that freezing a few hundred
/// processes takes seconds, at −20 it takes tens of milliseconds. Linux keeps the nice value per
/// thread, so only the calling thread is affected, and only until the kill has been sent. Without
/// CAP_SYS_NICE (or an RLIMIT_NICE that allows it) setpriority fails and the thread keeps its
/// priority: that is not an error of the kill, which then only takes longer.
/// </remarks>
internal readonly struct PriorityBoost : IDisposable
{
    private const int Highest = -20;

    private readonly int _old;
    private readonly bool _changed;

    private PriorityBoost(int old)
    {
        _old = old;
        _changed = true;
    }

    internal static PriorityBoost Raise()
    {
        // getpriority may return −1 legitimately: errno tells an error apart.
        Marshal.SetLastPInvokeError(0);
        int old = Libc.GetPriority(Libc.PRIO_PROCESS, 0);
        if (old == -1 && Marshal.GetLastPInvokeError() != 0)
        {
            return default;
        }

        return old > Highest && Libc.SetPriority(Libc.PRIO_PROCESS, 0, Highest) == 0 ? new PriorityBoost(old) : default;
    }

    public void Dispose()
    {
        if (_changed)
        {
            // Raising the nice value again is always allowed.
            Libc.SetPriority(Libc.PRIO_PROCESS, 0, _old);
        }
    }
}
