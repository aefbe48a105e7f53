using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill;

/// <summary>
/// Python's <c>signal</c> module, sending side: the signal numbers of the OS the program runs on,
/// and the functions that send signals to threads, pidfds and the calling process.
/// </summary>
/// <remarks>
/// Signal numbers differ between operating systems (SIGUSR1 is 10 on Linux and 30 on macOS), so
/// every constant here is resolved at run time. Never hard-code another OS's number.
/// </remarks>
public static partial class Signal
{
    /// <summary>
    /// The lowest real-time signal (Python's <c>signal.SIGRTMIN</c>): 34 with glibc, 35 with musl,
    /// 65 on FreeBSD. Read from the C library at run time.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The OS has no real-time signals (macOS, Windows).</exception>
    public static int SIGRTMIN => SignalTable.Current.HasRealTime
        ? SignalTable.Current.RtMin
        : throw NotDefined("SIGRTMIN");

    /// <summary>The highest real-time signal (Python's <c>signal.SIGRTMAX</c>): 64 on Linux, 126 on FreeBSD.</summary>
    /// <exception cref="PlatformNotSupportedException">The OS has no real-time signals (macOS, Windows).</exception>
    public static int SIGRTMAX => SignalTable.Current.HasRealTime
        ? SignalTable.Current.RtMax
        : throw NotDefined("SIGRTMAX");

    /// <summary>
    /// One more than the highest signal number (Python's <c>signal.NSIG</c>): 65 on Linux, 32 on
    /// macOS, 129 on FreeBSD, 23 on Windows.
    /// </summary>
    public static int NSIG => SignalTable.Current.Nsig;

    /// <summary>
    /// Windows only: the console event for Ctrl+C (0). <c>Os.Kill(pid, CTRL_C_EVENT)</c> sends it to
    /// the console process group <c>pid</c>. It is not an existence probe, unlike signal 0 on POSIX.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not on Windows.</exception>
    [SupportedOSPlatform("windows")]
    public static int CTRL_C_EVENT => OperatingSystem.IsWindows()
        ? Windows.WindowsSignals.CtrlCEvent
        : throw NotDefined("CTRL_C_EVENT");

    /// <summary>Windows only: the console event for Ctrl+Break (1).</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Windows.</exception>
    [SupportedOSPlatform("windows")]
    public static int CTRL_BREAK_EVENT => OperatingSystem.IsWindows()
        ? Windows.WindowsSignals.CtrlBreakEvent
        : throw NotDefined("CTRL_BREAK_EVENT");

    /// <summary>
    /// The calling thread's <c>pthread_t</c> (<c>pthread_self</c>), the id that
    /// <see cref="PthreadKill"/> takes. It is not the kernel thread id.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">On Windows.</exception>
    [UnsupportedOSPlatform("windows")]
    public static nuint CurrentThreadId => PlatformServices.CurrentThread();

    /// <summary>
    /// Sends <paramref name="sig"/> to a thread of this process: Python's <c>signal.pthread_kill</c>.
    /// Signal 0 only checks that the thread exists.
    /// </summary>
    /// <remarks>
    /// Raises the audit event <c>signal.pthread_kill</c> with <c>(threadId, sig)</c> first.
    /// A <c>pthread_t</c> of a thread that has been joined or detached and has ended is a dangling
    /// id: as in C and Python, using it is undefined.
    /// </remarks>
    /// <param name="threadId">A <c>pthread_t</c> from <see cref="CurrentThreadId"/>, not a kernel thread id.</param>
    /// <param name="sig">The signal number; 0 for the existence check.</param>
    /// <exception cref="ProcessLookupException">No such thread (ESRCH).</exception>
    /// <exception cref="OsException">An invalid signal (EINVAL).</exception>
    /// <exception cref="PlatformNotSupportedException">On Windows.</exception>
    [UnsupportedOSPlatform("windows")]
    public static void PthreadKill(nuint threadId, int sig)
    {
        if (Audit.HasHooks)
        {
            Audit.Raise("signal.pthread_kill", threadId, sig);
        }

        PlatformServices.PthreadKill(threadId, sig);
    }

    /// <summary>
    /// Sends <paramref name="sig"/> through a pidfd: Python's <c>signal.pidfd_send_signal</c>
    /// (Linux 5.1+). The signal reaches the process the pidfd was opened for, or nothing: never a
    /// process that has since been given the same pid. Raises no audit event, as in Python.
    /// </summary>
    /// <param name="pidfd">A pidfd, from <see cref="Os.PidfdOpen"/>.</param>
    /// <param name="sig">The signal number; 0 checks that the process still exists.</param>
    /// <param name="flags">Flags for the system call: 0, or since Linux 6.9 one of PIDFD_SIGNAL_THREAD (1), PIDFD_SIGNAL_THREAD_GROUP (2), PIDFD_SIGNAL_PROCESS_GROUP (4). The kernel rejects flags it does not know with EINVAL.</param>
    /// <exception cref="ProcessLookupException">The process has exited and been reaped (ESRCH).</exception>
    /// <exception cref="OsException">EBADF for a descriptor that is not a pidfd; EINVAL for a bad signal or flags.</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    [SupportedOSPlatform("linux")]
    public static void PidfdSendSignal(System.Runtime.InteropServices.SafeHandle pidfd, int sig, uint flags = 0)
    {
        ArgumentNullException.ThrowIfNull(pidfd);
        PlatformServices.SendPidfdSignal(pidfd, sig, flags, nameof(pidfd));
    }

    /// <summary>
    /// Sends <paramref name="sig"/> to the calling thread (<c>raise</c>): Python's
    /// <c>signal.raise_signal</c>. Signal 0 does nothing. Raises no audit event.
    /// </summary>
    /// <param name="sig">The signal number.</param>
    /// <exception cref="OsException">An invalid signal (EINVAL).</exception>
    public static void RaiseSignal(int sig)
    {
        PlatformServices.Raise(sig);
    }

    /// <summary>
    /// The system's description of a signal, such as "Terminated" or "Hangup": Python's
    /// <c>signal.strsignal</c>. Null where the C library has none (glibc's 32 and 33, which it
    /// reserves for itself).
    /// </summary>
    /// <param name="sig">A signal number from 1 to <see cref="NSIG"/> − 1.</param>
    /// <returns>The description, or null.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sig"/> is outside 1 to NSIG − 1 (Python raises ValueError).</exception>
    public static string? StrSignal(int sig)
    {
        if (sig < 1 || sig >= NSIG)
        {
            throw new ArgumentOutOfRangeException(
                nameof(sig), sig, $"Signal number {sig} is out of range: {PlatformServices.Name} signals are 1 to {NSIG - 1}.");
        }

        return PlatformServices.Describe(sig);
    }

    /// <summary>
    /// Every signal number that can be sent and caught or blocked on this OS: Python's
    /// <c>signal.valid_signals</c>. On glibc Linux x86_64 that is 1 to 31 and 34 to 64. The set
    /// enumerates in ascending order.
    /// </summary>
    /// <returns>The valid signal numbers.</returns>
    public static IReadOnlySet<int> ValidSignals() => PlatformServices.ValidSignals();

    private static int Defined(int number, string name) => number >= 0 ? number : throw NotDefined(name);

    private static PlatformNotSupportedException NotDefined(string name) =>
        new($"{name} is not defined on {PlatformServices.Name}. Signal numbers differ by OS; use Signal.TryParse(\"{name}\", out int sig) to test for a signal.");
}
