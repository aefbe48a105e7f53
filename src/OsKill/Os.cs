using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill;

/// <summary>
/// Python's <c>os</c> module, signal-sending part: <c>os.kill</c>, <c>os.killpg</c> and
/// <c>os.pidfd_open</c>, with CPython's semantics.
/// </summary>
public static class Os
{
    /// <summary>
    /// Sends signal <paramref name="sig"/> to <paramref name="pid"/>: Python's <c>os.kill</c>.
    /// </summary>
    /// <remarks>
    /// <para>On POSIX this is kill(2), unchanged:</para>
    /// <list type="bullet">
    /// <item><description><paramref name="pid"/> &gt; 0 is that process.</description></item>
    /// <item><description>0 is every process in the caller's process group (the caller included).</description></item>
    /// <item><description>−1 is every process the caller may signal.</description></item>
    /// <item><description>Below −1 is the process group −<paramref name="pid"/>.</description></item>
    /// </list>
    /// <para>Signal 0 sends nothing and only checks that the target exists and may be signalled. A zombie
    /// (exited, not yet reaped) still exists. The kernel judges the signal number; OsKill does no range
    /// checks of its own and never retries.</para>
    /// <para>The audit event <c>os.kill</c> with <c>(pid, sig)</c> is raised first, before the system
    /// call, and even when the call then fails; a hook that throws stops the call.</para>
    /// <para>A pid can be reused as soon as its process has been reaped. To be sure of reaching the
    /// process you mean, signal it through a handle: <see cref="PidfdOpen"/> and
    /// <see cref="Kill(SafeHandle, int)"/>.</para>
    /// </remarks>
    /// <param name="pid">The process, or process group as described above.</param>
    /// <param name="sig">The signal number, such as <see cref="Signal.SIGTERM"/>; 0 for the existence check.</param>
    /// <exception cref="ProcessLookupException">No such process or group (ESRCH).</exception>
    /// <exception cref="PermissionDeniedException">The caller may not signal the target (EPERM).</exception>
    /// <exception cref="OsException">Any other error, such as EINVAL for an invalid signal number.</exception>
    public static void Kill(int pid, int sig)
    {
        if (Audit.HasHooks)
        {
            Audit.Raise("os.kill", pid, sig);
        }

        PlatformServices.Kill(pid, sig);
    }

    /// <summary>
    /// Sends signal <paramref name="sig"/> to the process that a handle names, which can never be a
    /// process that reused its pid. On Linux the handle is a pidfd from <see cref="PidfdOpen"/>.
    /// </summary>
    /// <remarks>
    /// Raises the audit event <c>os.kill</c> with <c>(process, sig)</c> first, as Python's
    /// <c>os.kill</c> does when given a handle. After the process has exited and been reaped the
    /// call fails with <see cref="ProcessLookupException"/>.
    /// </remarks>
    /// <param name="process">A pidfd (Linux), or a process handle (Windows).</param>
    /// <param name="sig">The signal number; 0 checks that the process still exists.</param>
    /// <exception cref="ArgumentNullException"><paramref name="process"/> is null.</exception>
    /// <exception cref="ArgumentException">A <c>SafeProcessHandle</c> on Unix, where .NET keeps no file descriptor in it.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="ProcessLookupException">The process has been reaped (ESRCH).</exception>
    /// <exception cref="OsException">EBADF for a descriptor that is not a pidfd; EINVAL for a bad signal.</exception>
    /// <exception cref="PlatformNotSupportedException">macOS and FreeBSD, which have no pidfds.</exception>
    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    public static void Kill(SafeHandle process, int sig)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (Audit.HasHooks)
        {
            Audit.Raise("os.kill", process, sig);
        }

        PlatformServices.Kill(process, sig, nameof(process));
    }

    /// <summary>
    /// Sends signal <paramref name="sig"/> to the process group <paramref name="pgid"/>: Python's
    /// <c>os.killpg</c>. Group 0 is the caller's own group; a negative group is EINVAL.
    /// </summary>
    /// <remarks>
    /// <para>Raises the audit event <c>os.killpg</c> with <c>(pgid, sig)</c> first.</para>
    /// <para><b>Decision:</b> group 1 is refused with EINVAL. The C library implements killpg(1) as
    /// kill(-1), which signals every process the caller may signal, not group 1; CPython passes that
    /// on. Use <c>Os.Kill(-1, sig)</c> when a broadcast is meant.</para>
    /// </remarks>
    /// <param name="pgid">The process-group id.</param>
    /// <param name="sig">The signal number; 0 checks that the group exists.</param>
    /// <exception cref="ProcessLookupException">No such process group (ESRCH).</exception>
    /// <exception cref="PermissionDeniedException">The caller may signal no member of the group (EPERM).</exception>
    /// <exception cref="OsException">EINVAL for a negative group, group 1, or an invalid signal.</exception>
    /// <exception cref="PlatformNotSupportedException">On Windows, which has no killpg.</exception>
    [UnsupportedOSPlatform("windows")]
    public static void KillPg(int pgid, int sig)
    {
        if (Audit.HasHooks)
        {
            Audit.Raise("os.killpg", pgid, sig);
        }

        PlatformServices.KillPg(pgid, sig);
    }

    /// <summary>
    /// Opens a pidfd for <paramref name="pid"/>: Python's <c>os.pidfd_open</c> (Linux 5.3+). The
    /// descriptor keeps naming that process after it exits, so a signal sent through it never reaches
    /// a process that later gets the same pid.
    /// </summary>
    /// <param name="pid">The process; it must exist now.</param>
    /// <param name="flags">0, or PIDFD_NONBLOCK (0x800, Linux 5.10+).</param>
    /// <returns>A handle that owns the descriptor; dispose it to close the descriptor.</returns>
    /// <exception cref="ProcessLookupException">No such process (ESRCH).</exception>
    /// <exception cref="OsException">EINVAL for a bad pid or flags; ENOSYS before Linux 5.3; EMFILE or ENFILE when the process (or the system) is out of descriptors. The message names the pid.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    [SupportedOSPlatform("linux")]
    public static SafePidfdHandle PidfdOpen(int pid, uint flags = 0) => PlatformServices.OpenPidfd(pid, flags);
}
