using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Bsd;

/// <summary>
/// A process named by its pid and its start time: what <see cref="ProcessHandle"/> holds on macOS
/// and FreeBSD, which have no pidfds. Before each use the start time is read again; a different
/// one (or none) means the process has exited and the pid, if taken, belongs to a stranger.
/// </summary>
/// <remarks>
/// The guarantee is weaker than a pidfd's: between the check and the kill(2) that follows it (a few
/// microseconds) the process could exit, be reaped, and its pid be given to a new process, which
/// would then get the signal. That needs the whole pid space to wrap round to that pid within the
/// window. The handle owns no kernel object; disposing it only marks it closed.
/// </remarks>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
[SupportedOSPlatform("freebsd")]
internal sealed class StartTimeHandle : SafeHandle
{

    private StartTimeHandle(int pid, ulong startTime)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(pid);
        Pid = pid;
        StartTime = startTime;
    }

    /// <summary>The pid.</summary>
    internal int Pid { get; }

    /// <summary>The start time read when the handle was opened.</summary>
    internal ulong StartTime { get; }

    /// <inheritdoc/>
    public override bool IsInvalid => false;

    /// <summary>True once the process has exited: its start time is gone or different, or it is a zombie.</summary>
    internal bool HasExited => !IsSameProcess(out bool zombie) || zombie;

    /// <summary>Opens a handle for the process that has <paramref name="pid"/> now.</summary>
    /// <exception cref="ProcessLookupException">No such process.</exception>
    /// <exception cref="OsException">Any other error while reading the start time.</exception>
    internal static StartTimeHandle Open(int pid)
    {
        int errno = PlatformServices.ReadStartTime(pid, out ProcessStartTime.Reading reading);
        if (errno != 0)
        {
            throw OsException.FromErrno(errno, "open", $"cannot open a handle for pid {pid}: its start time cannot be read", pid, null);
        }

        return new StartTimeHandle(pid, reading.StartTime);
    }

    /// <summary>Whether the pid still names the process the handle was opened for (alive or a zombie).</summary>
    internal bool IsSameProcess(out bool zombie)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        int errno = PlatformServices.ReadStartTime(Pid, out ProcessStartTime.Reading now);
        zombie = now.Zombie;
        return errno == 0 && now.StartTime == StartTime;
    }

    /// <summary>Sends <paramref name="sig"/> with kill(2), after checking that the pid still names this process.</summary>
    /// <exception cref="ProcessLookupException">The process has exited (its pid may now name another process).</exception>
    internal void Signal(int sig)
    {
        if (HasExited)
        {
            throw new ProcessLookupException(Errno.ESRCH, $"[Errno 3] No such process: cannot send {OsException.SignalText(sig)} to pid {Pid}: the process this handle names has exited (its start time no longer matches)")
            {
                Pid = Pid,
                Signal = sig,
                Operation = "kill",
            };
        }

        Os.Kill(Pid, sig);
    }

    /// <summary>"pid 1234 (started at 5678)".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"pid {Pid} (started at {StartTime})";

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => true;
}
