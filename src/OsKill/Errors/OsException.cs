using System.Runtime.InteropServices;
using OsKill.Core;

namespace OsKill;

/// <summary>
/// An operating-system error from a signal operation: Python's <c>OSError</c>.
/// It carries the errno (and, on Windows, the Win32 error code), the pid or other target, and the signal.
/// </summary>
/// <remarks>
/// Subclasses name the common cases: <see cref="ProcessLookupException"/> (ESRCH) and
/// <see cref="PermissionDeniedException"/> (EPERM, EACCES). Any other errno, such as EINVAL for an
/// invalid signal number, arrives as a plain <see cref="OsException"/>.
/// </remarks>
public class OsException : Exception
{
    /// <summary>E_FAIL: the HRESULT of an error that only an errno describes.</summary>
    private const int EFail = unchecked((int)0x8000_4005);

    private int? _winError;

    /// <summary>Creates an exception with a default message.</summary>
    public OsException()
        : this("An operating-system call failed.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">The message.</param>
    public OsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public OsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an errno, with a message that you give.</summary>
    /// <param name="errno">The errno value.</param>
    /// <param name="message">The message.</param>
    public OsException(int errno, string message)
        : base(message)
    {
        Errno = errno;
        HResult = EFail;
    }

    /// <summary>
    /// The errno that the operating system reported, as in Python's <c>OSError.errno</c>.
    /// On Windows this is the C runtime equivalent of <see cref="WinError"/> where there is one, else 0.
    /// </summary>
    public int Errno { get; internal set; }

    /// <summary>
    /// The Win32 error code (Python's <c>OSError.winerror</c>), or null off Windows. Where there is
    /// one, <see cref="Exception.HResult"/> is HRESULT_FROM_WIN32 of it; elsewhere it is E_FAIL
    /// (0x80004005): an HRESULT is negative for a failure, so the errno cannot be one, and is kept
    /// in <see cref="Errno"/> alone.
    /// </summary>
    public int? WinError
    {
        get => _winError;
        internal set
        {
            _winError = value;
            HResult = value is int w and not 0 ? unchecked((int)(0x8007_0000u | ((uint)w & 0xFFFFu))) : EFail;
        }
    }

    /// <summary>The operating system's text for the error (strerror, or the Win32 message).</summary>
    public string? OsMessage { get; internal set; }

    /// <summary>
    /// The call that failed, as a short name such as <c>kill</c>, <c>killpg</c>,
    /// <c>pidfd_send_signal</c> or <c>pthread_kill</c>.
    /// </summary>
    public string? Operation { get; internal set; }

    /// <summary>
    /// The target that the call named: a pid for <c>kill</c>, a process-group id for <c>killpg</c>,
    /// the pid behind a pidfd where it is known. Null where the target is not a pid.
    /// </summary>
    public int? Pid { get; internal set; }

    /// <summary>The signal number that the call tried to send, or null where there was none.</summary>
    public int? Signal { get; internal set; }

    /// <summary>
    /// Builds the exception that matches an errno: <see cref="ProcessLookupException"/> for ESRCH,
    /// <see cref="PermissionDeniedException"/> for EPERM and EACCES, else <see cref="OsException"/>.
    /// </summary>
    /// <param name="errno">The errno.</param>
    /// <param name="operation">The system call, such as <c>kill</c>.</param>
    /// <param name="attempt">What was tried, from <see cref="Sending"/>: "cannot send signal 15 (SIGTERM) to pid 42".</param>
    /// <param name="pid">The pid or group, where the target is one.</param>
    /// <param name="sig">The signal, where there is one.</param>
    internal static OsException FromErrno(int errno, string operation, string attempt, int? pid, int? sig)
    {
        string osText = Marshal.GetPInvokeErrorMessage(errno);
        string message = $"[Errno {errno}] {osText}: {attempt} ({operation})";
        return Create(errno, null, message, osText, operation, pid, sig);
    }

    /// <summary>Builds the exception for a Win32 error code, with the errno it corresponds to.</summary>
    internal static OsException FromWin32(int winError, int errno, string operation, string attempt, int? pid, int? sig)
    {
        string osText = Marshal.GetPInvokeErrorMessage(winError).TrimEnd('.', ' ', '\r', '\n');
        string message = $"[WinError {winError}] {osText}: {attempt} ({operation})";
        return Create(errno, winError, message, osText, operation, pid, sig);
    }

    /// <summary>"cannot send signal 15 (SIGTERM) to pid 42", for messages.</summary>
    internal static string Sending(int sig, string target) => $"cannot send {SignalText(sig)} to {target}";

    /// <summary>Describes a signal for a message: "signal 15 (SIGTERM)", or "signal 99 (not a signal on Linux)".</summary>
    internal static string SignalText(int sig)
    {
        if (PlatformServices.ConsoleEventName(sig) is string consoleEvent)
        {
            return $"{consoleEvent} ({sig})";
        }

        if (sig == 0)
        {
            return "signal 0 (the existence check)";
        }

        string? name = OsKill.Signal.Name(sig);
        return name is null
            ? $"signal {sig} (not a signal on {PlatformServices.Name})"
            : $"signal {sig} (SIG{name})";
    }

    private static OsException Create(int errno, int? winError, string message, string osText, string operation, int? pid, int? sig)
    {
        OsException e = errno switch
        {
            Interop.Errno.ESRCH => new ProcessLookupException(errno, message),
            Interop.Errno.EPERM or Interop.Errno.EACCES => new PermissionDeniedException(errno, message),
            _ => new OsException(errno, message),
        };
        e.WinError = winError;
        e.OsMessage = osText;
        e.Operation = operation;
        e.Pid = pid;
        e.Signal = sig;
        return e;
    }
}
