using System.Globalization;
using System.Runtime.InteropServices;

namespace OsKill.Core;

/// <summary>
/// The signal half of the platform choice: the OS's name and signal table, and which code sends a
/// signal (kill(2) and its relatives on POSIX, console events and TerminateProcess on Windows). A
/// public entry point calls one of these; a call that the OS cannot make throws
/// <see cref="PlatformNotSupportedException"/> here, before anything is sent.
/// </summary>
internal static partial class PlatformServices
{
    /// <summary>The name of the OS this process runs on, for messages.</summary>
    internal static string Name { get; } =
        OperatingSystem.IsLinux() ? "Linux"
        : OperatingSystem.IsMacOS() ? "macOS"
        : OperatingSystem.IsFreeBSD() ? "FreeBSD"
        : OperatingSystem.IsWindows() ? "Windows"
        : RuntimeInformation.OSDescription;

    /// <summary>The signal names and numbers of this OS (<see cref="SignalTable.Current"/>); empty on an OS OsKill does not know.</summary>
    internal static SignalTable CreateSignalTable() =>
        OperatingSystem.IsLinux() ? Linux.LinuxSignals.Create()
        : OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS() || OperatingSystem.IsMacCatalyst() ? Bsd.DarwinSignals.Table
        : OperatingSystem.IsFreeBSD() ? Bsd.FreeBsdSignals.Table
        : OperatingSystem.IsWindows() ? Windows.WindowsSignals.Table
        : new SignalTable(Name, nsig: 0, rtMin: 0, rtMax: 0, []);

    /// <summary>The console event that <paramref name="sig"/> means on Windows ("CTRL_C_EVENT" for 0, "CTRL_BREAK_EVENT" for 1); null for any other number, and on every other OS.</summary>
    internal static string? ConsoleEventName(int sig) =>
        !OperatingSystem.IsWindows() ? null
        : sig == Windows.WindowsSignals.CtrlCEvent ? "CTRL_C_EVENT"
        : sig == Windows.WindowsSignals.CtrlBreakEvent ? "CTRL_BREAK_EVENT"
        : null;

    /// <summary><see cref="Os.Kill(int, int)"/> after its audit event: kill(2), or on Windows a console event or TerminateProcess.</summary>
    internal static void Kill(int pid, int sig)
    {
        if (OperatingSystem.IsWindows())
        {
            Windows.WindowsKill.Kill(pid, sig);
        }
        else
        {
            Posix.UnixKill.Kill(pid, sig);
        }
    }

    /// <summary><see cref="Os.Kill(SafeHandle, int)"/> after its audit event: a process handle on Windows, a pidfd on Linux.</summary>
    internal static void Kill(SafeHandle process, int sig, string paramName)
    {
        if (OperatingSystem.IsWindows())
        {
            Windows.WindowsKill.Kill(process, sig);
        }
        else
        {
            SendPidfdSignal(process, sig, 0, paramName);
        }
    }

    /// <summary><see cref="Os.KillPg"/> after its audit event: killpg, which Windows does not have.</summary>
    internal static void KillPg(int pgid, int sig)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(
                $"KillPg({pgid}, {sig}): Windows has no process groups in the POSIX sense and no killpg. " +
                "Console process groups take Os.Kill(pgid, Signal.CTRL_C_EVENT) or CTRL_BREAK_EVENT.");
        }

        Posix.UnixKill.KillPg(pgid, sig);
    }

    /// <summary><see cref="Os.PidfdOpen"/>: pidfd_open, Linux only.</summary>
    internal static SafePidfdHandle OpenPidfd(int pid, uint flags) =>
        OperatingSystem.IsLinux() ? Linux.Pidfd.Open(pid, flags) : throw NoPidfds("PidfdOpen", pid, null);

    /// <summary><see cref="Signal.PidfdSendSignal"/>: pidfd_send_signal, Linux only.</summary>
    internal static void SendPidfdSignal(SafeHandle pidfd, int sig, uint flags, string paramName)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw NoPidfds("PidfdSendSignal", (pidfd as SafePidfdHandle)?.Pid, sig);
        }

        Linux.Pidfd.SendSignal(pidfd, sig, flags, paramName);
    }

    /// <summary><see cref="Signal.Queue"/> after its audit event: sigqueue, bound on Linux only.</summary>
    internal static void Queue(int pid, int sig, int value)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException($"Signal.Queue to pid {pid} with {OsException.SignalText(sig)}: sigqueue is only bound on Linux.");
        }

        Posix.UnixKill.Queue(pid, sig, value);
    }

    /// <summary><see cref="Signal.RaiseSignal"/>: raise(3), or its Windows equivalent.</summary>
    internal static void Raise(int sig)
    {
        if (OperatingSystem.IsWindows())
        {
            Windows.WindowsKill.Raise(sig);
        }
        else
        {
            Posix.UnixKill.Raise(sig);
        }
    }

    /// <summary><see cref="Signal.StrSignal"/> for a number in range: the C library's text, or Windows' names.</summary>
    internal static string? Describe(int sig) =>
        OperatingSystem.IsWindows() ? Windows.WindowsSignals.Describe(sig) : Posix.SignalInfo.Describe(sig);

    /// <summary><see cref="Signal.ValidSignals"/>.</summary>
    internal static IReadOnlySet<int> ValidSignals() =>
        OperatingSystem.IsWindows()
            ? new SortedSet<int>(Windows.WindowsSignals.Table.Names.Select(n => n.Number))
            : Posix.SignalInfo.ValidSignals(Signal.NSIG);

    /// <summary><see cref="Signal.CurrentThreadId"/>: pthread_self, which Windows does not have.</summary>
    internal static nuint CurrentThread() =>
        OperatingSystem.IsWindows() ? throw NoPthreads("Signal.CurrentThreadId") : Posix.ThreadSignals.Self();

    /// <summary><see cref="Signal.PthreadKill"/> after its audit event: pthread_kill, which Windows does not have.</summary>
    internal static void PthreadKill(nuint threadId, int sig)
    {
        if (OperatingSystem.IsWindows())
        {
            throw NoPthreads("Signal.PthreadKill");
        }

        Posix.ThreadSignals.Kill(threadId, sig);
    }

    private static PlatformNotSupportedException NoPthreads(string api) =>
        new($"{api}: Windows has no pthreads and no thread-directed signals.");

    private static PlatformNotSupportedException NoPidfds(string api, int? pid, int? sig)
    {
        string target = pid is int p ? $" for pid {p.ToString(CultureInfo.InvariantCulture)}" : string.Empty;
        string with = sig is int s ? $" with {OsException.SignalText(s)}" : string.Empty;
        return new PlatformNotSupportedException($"{api}{target}{with}: pidfds exist only on Linux 5.3 and later, not on {Name}.");
    }
}
