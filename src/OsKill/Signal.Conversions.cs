using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill;

// Conversions between .NET's PosixSignal and native signal numbers. PosixSignal's named members
// are negative, portable values (SIGTERM is -4); a positive PosixSignal is a raw native number, so
// (PosixSignal)10 means SIGUSR1 on Linux but SIGBUS on macOS.
public static partial class Signal
{
    /// <summary>
    /// The native signal number for a <see cref="PosixSignal"/> on this OS: a named member
    /// (<see cref="PosixSignal.SIGTERM"/> and the others, and .NET 11's SIGKILL, -11, whichever .NET
    /// runs) is looked up; a positive value is already a native number and is returned as it is.
    /// </summary>
    /// <param name="signal">The .NET signal.</param>
    /// <returns>The native number, for <see cref="Os.Kill(int, int)"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Zero, or a negative value that PosixSignal does not name.</exception>
    /// <exception cref="PlatformNotSupportedException">The OS has no such signal.</exception>
    public static int FromPosixSignal(PosixSignal signal)
    {
        if ((int)signal > 0)
        {
            return (int)signal;
        }

        string name = NamedPosixSignal(signal)
            ?? throw new ArgumentOutOfRangeException(nameof(signal), (int)signal, $"PosixSignal value {(int)signal} is neither a named signal nor a native number.");
        int number = SignalTable.Current.Find(name);
        return number > 0 ? number : throw NotDefined("SIG" + name);
    }

    /// <summary>
    /// The <see cref="PosixSignal"/> for a native signal number: the named member where the running
    /// .NET's PosixSignal has one for it (so that <see cref="PosixSignalRegistration"/> handles it
    /// portably; SIGKILL is named from .NET 11 on), otherwise the raw number as a PosixSignal.
    /// </summary>
    /// <param name="sig">A native signal number, greater than 0.</param>
    /// <returns>The .NET signal.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sig"/> is 0 or negative.</exception>
    public static PosixSignal ToPosixSignal(int sig)
    {
        if (sig <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sig), sig, $"Signal {sig} has no PosixSignal: native signal numbers start at 1.");
        }

        for (int i = 0; i < s_posixSignalNames.Length; i++)
        {
            // A name only where the running .NET has it: (PosixSignal)(-11) means SIGKILL from .NET 11 on.
            if (SignalTable.Current.Find(s_posixSignalNames[i]) == sig && Enum.IsDefined((PosixSignal)(-(i + 1))))
            {
                return (PosixSignal)(-(i + 1));
            }
        }

        return (PosixSignal)sig;
    }

    /// <summary>
    /// Sends <paramref name="sig"/> with an int <paramref name="value"/> (sigqueue, Linux): the
    /// receiver sees <c>si_code == SI_QUEUE</c> and the value in <c>si_value</c>. Real-time signals
    /// queue; standard ones do not.
    /// </summary>
    /// <remarks>Raises the audit event <c>oskill.sigqueue</c> with <c>(pid, sig, value)</c> first.</remarks>
    /// <param name="pid">The process (a positive pid; sigqueue has no group form).</param>
    /// <param name="sig">The signal; 0 checks for the process.</param>
    /// <param name="value">The value the receiver sees.</param>
    /// <exception cref="ProcessLookupException">No such process (ESRCH).</exception>
    /// <exception cref="PermissionDeniedException">EPERM.</exception>
    /// <exception cref="OsException">EINVAL for a bad signal; EAGAIN when the receiver's queue is full.</exception>
    [SupportedOSPlatform("linux")]
    public static void Queue(int pid, int sig, int value)
    {
        if (Audit.HasHooks)
        {
            Audit.Raise("oskill.sigqueue", pid, sig, value);
        }

        PlatformServices.Queue(pid, sig, value);
    }

    // PosixSignal's named members by value (the enum's members carry platform attributes, so they
    // are listed here by number): -1 SIGHUP … -10 SIGTSTP, and -11 SIGKILL, which .NET 11 added.
    private static readonly string[] s_posixSignalNames =
        ["HUP", "INT", "QUIT", "TERM", "CHLD", "CONT", "WINCH", "TTIN", "TTOU", "TSTP", "KILL"];

    private static string? NamedPosixSignal(PosixSignal signal)
    {
        int index = -(int)signal - 1;
        return index >= 0 && index < s_posixSignalNames.Length ? s_posixSignalNames[index] : null;
    }
}
