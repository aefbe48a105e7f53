using System.Runtime.Versioning;

namespace OsKill.Core;

/// <summary>
/// The one place that chooses the platform's backend: the handle core of a
/// <see cref="ProcessHandle"/>, the backend of a <see cref="ProcessContainer"/>, and the default
/// steps of <see cref="StopOptions"/>. Each backend is marked <c>[SupportedOSPlatform]</c>, so the
/// platform analyzer (CA1416) proves that nothing else reaches one on the wrong OS; in a
/// RID-specific publish the trimmer folds these checks to constants.
/// </summary>
internal static partial class PlatformServices
{
    /// <summary>The polite signal of the default stop: SIGTERM; on Windows Ctrl+C to the process's console.</summary>
    internal static int PoliteStopSignal => OperatingSystem.IsWindows() ? Windows.WindowsSignals.CtrlCEvent : Signal.SIGTERM;

    /// <summary>
    /// The forced step of the default stop: SIGKILL; on Windows TerminateProcess with exit code −1,
    /// the code every forced end gives there (tree kill, container kill, <see cref="System.Diagnostics.Process.Kill()"/>).
    /// </summary>
    internal static StopStep ForcedStopStep(TimeSpan timeout) => OperatingSystem.IsWindows()
        ? StopStep.Terminate(Windows.Tree.WindowsProcessTree.KillExitCode, timeout)
        : StopStep.SendSignal(Signal.SIGKILL, timeout);

    /// <summary>Whether a process can be ended with an exit code chosen from outside (TerminateProcess): Windows.</summary>
    internal static bool ExitCodesSupported => OperatingSystem.IsWindows();

    /// <summary>
    /// Whether sending <paramref name="sig"/> as <see cref="Os.Kill(int, int)"/> does ends the process
    /// with that number as its exit code: on Windows every number but the console events 0 and 1.
    /// </summary>
    internal static bool SignalEndsWithExitCode(int sig) =>
        OperatingSystem.IsWindows() && sig is not (Windows.WindowsSignals.CtrlCEvent or Windows.WindowsSignals.CtrlBreakEvent);

    /// <summary>Whether this process may act as the console helper of <see cref="ConsoleControl"/> (a copy of the app that sends a console event): Windows only.</summary>
    [SupportedOSPlatformGuard("windows")]
    internal static bool ConsoleHelperSupported => OperatingSystem.IsWindows();

    /// <summary>Whether process trees can be killed and stopped here: Linux (pidfds) and Windows.</summary>
    internal static bool TreesSupported => OperatingSystem.IsLinux() || OperatingSystem.IsWindows();

    /// <summary>
    /// The tree kill of <see cref="ProcessTree.KillAsync(int, CancellationToken)"/>: on Linux the tree
    /// opens the root's pidfd itself (and owns it); on Windows through a <see cref="ProcessHandle"/>.
    /// </summary>
    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    internal static Task<TreeKillResult> KillTreeByPidAsync(int rootPid, CancellationToken cancellationToken) => OperatingSystem.IsLinux()
        ? Linux.Tree.LinuxProcessTree.KillAsync(rootPid, scanProc: !Linux.Tree.LinuxProcessTree.HaveChildrenFiles, cancellationToken)
        : KillThroughHandleAsync(rootPid, cancellationToken);

    /// <summary>
    /// Opens the root of a tree call by pid. On Linux a thread id, which pidfd_open refuses, is an
    /// <see cref="ArgumentException"/> for <paramref name="paramName"/> that says so.
    /// </summary>
    internal static ProcessHandle OpenTreeRoot(int rootPid, string paramName)
    {
        try
        {
            return ProcessHandle.Open(rootPid);
        }
        catch (OsException e) when (OperatingSystem.IsLinux() && Linux.Tree.LinuxProcessTree.IsThreadId(rootPid, e, out int process))
        {
            throw Linux.Tree.LinuxProcessTree.ThreadIdRefused(rootPid, process, paramName, e);
        }
    }

    /// <summary>Whether containers can be made here: Windows, or Linux with a cgroup v2 hierarchy mounted.</summary>
    internal static bool ContainersSupported =>
        OperatingSystem.IsWindows() || (OperatingSystem.IsLinux() && Linux.Cgroups.CgroupContainer.FindMount(out _) is not null);

    /// <summary>
    /// How a <see cref="System.Diagnostics.Process"/> that has exited and been reaped by .NET ended:
    /// on Windows its exit code; on POSIX see <see cref="Posix.DotNetExitStatus"/>.
    /// </summary>
    internal static ExitStatus ExitStatusOf(System.Diagnostics.Process process) =>
        OperatingSystem.IsWindows() ? new ExitStatus(process.ExitCode, null) : Posix.DotNetExitStatus.Read(process);

    /// <summary>Opens the handle core for the process that has <paramref name="pid"/> now (a pid greater than 0).</summary>
    /// <exception cref="PlatformNotSupportedException">An OS with none of pidfds, process handles or start times.</exception>
    internal static IProcessHandleCore OpenHandle(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return Linux.PidfdHandleCore.Open(pid);
        }

        if (OperatingSystem.IsWindows())
        {
            return Windows.WindowsHandleCore.Open(pid);
        }

        if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return Bsd.StartTimeHandleCore.Open(pid);
        }

        throw new PlatformNotSupportedException(
            $"Cannot open a handle for pid {pid}: ProcessHandle needs pidfds (Linux 5.3+) or Windows process handles; {PlatformServices.Name} has neither yet.");
    }

    /// <summary>The handle core over a duplicate of a pidfd the caller keeps (Linux).</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    internal static IProcessHandleCore FromPidfd(SafePidfdHandle pidfd) => OperatingSystem.IsLinux()
        ? Linux.PidfdHandleCore.FromPidfd(pidfd)
        : throw new PlatformNotSupportedException($"ProcessHandle.FromPidfd({pidfd}): pidfds exist only on Linux (5.3 and later), not on {Platform.Name}.");

    /// <summary>
    /// Opens the macOS/FreeBSD kind of handle core (pid plus start time) on any Unix: the tests use
    /// it on Linux, where the kernel and ns_last_pid can prove what it guarantees.
    /// </summary>
    internal static IProcessHandleCore OpenByStartTime(int pid)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return Bsd.StartTimeHandleCore.Open(pid);
        }

        throw new PlatformNotSupportedException($"Cannot open a start-time handle for pid {pid}: process start times are read on Linux, macOS and FreeBSD, not on {PlatformServices.Name}.");
    }

    /// <summary>
    /// Reads the start time of <paramref name="pid"/> for a <see cref="Bsd.StartTimeHandle"/>: from
    /// proc_pidinfo on macOS, sysctl kern.proc.pid on FreeBSD, /proc/PID/stat on Linux. Returns 0,
    /// or an errno: ESRCH when there is no such process.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">An OS, or a 32-bit process on FreeBSD, whose record layout is not known.</exception>
    internal static int ReadStartTime(int pid, out Bsd.ProcessStartTime.Reading reading)
    {
        if (OperatingSystem.IsMacOS())
        {
            return Bsd.ProcessStartTime.ReadMacOS(pid, out reading);
        }

        if (OperatingSystem.IsFreeBSD())
        {
            return Bsd.ProcessStartTime.ReadFreeBsd(pid, out reading);
        }

        if (OperatingSystem.IsLinux())
        {
            return Bsd.ProcessStartTime.ReadLinux(pid, out reading);
        }

        throw new PlatformNotSupportedException($"Cannot read the start time of pid {pid} on {Name}.");
    }

    /// <summary>Waits for the exit of the process a <see cref="Bsd.StartTimeHandle"/> names: a kqueue on macOS and FreeBSD, a pidfd on Linux.</summary>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    [SupportedOSPlatform("freebsd")]
    internal static Task WaitForStartTimeExitAsync(Bsd.StartTimeHandle handle, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsLinux())
        {
            return Bsd.StartTimeExitWait.WaitWithPidfdAsync(handle, cancellationToken);
        }

        if (OperatingSystem.IsMacOS())
        {
            return Bsd.StartTimeExitWait.WaitWithKqueueAsync(handle, Interop.Libc.KeventSizeMacOS, cancellationToken);
        }

        if (OperatingSystem.IsFreeBSD())
        {
            return Bsd.StartTimeExitWait.WaitWithKqueueAsync(handle, Interop.Libc.KeventSizeFreeBsd, cancellationToken);
        }

        throw new PlatformNotSupportedException($"Cannot wait for pid {handle.Pid} on {Name}.");
    }

    /// <summary>Creates the backend of a new, empty container: a cgroup on Linux, a job object on Windows.</summary>
    /// <exception cref="PlatformNotSupportedException">Neither Linux nor Windows.</exception>
    internal static IContainerBackend CreateContainer()
    {
        if (OperatingSystem.IsWindows())
        {
            return Windows.JobObjectContainer.Create();
        }

        if (OperatingSystem.IsLinux())
        {
            return Linux.Cgroups.CgroupContainer.Create();
        }

        throw new PlatformNotSupportedException($"ProcessContainer is implemented with cgroup v2 on Linux and job objects on Windows, not on {PlatformServices.Name}.");
    }

    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    private static async Task<TreeKillResult> KillThroughHandleAsync(int rootPid, CancellationToken cancellationToken)
    {
        using ProcessHandle root = OpenTreeRoot(rootPid, nameof(rootPid));
        return await root.KillTreeAsync(cancellationToken).ConfigureAwait(false);
    }
}
