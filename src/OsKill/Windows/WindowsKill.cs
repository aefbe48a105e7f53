using System.Globalization;
using System.Runtime.InteropServices;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// How kill works on Windows, as CPython does it: signals 0 and 1 are the console events
/// CTRL_C_EVENT and CTRL_BREAK_EVENT, sent with GenerateConsoleCtrlEvent to a console process
/// group; every other number ends the process with TerminateProcess, and becomes its exit code.
/// </summary>
internal static class WindowsKill
{
    // CPython asks for PROCESS_ALL_ACCESS; we ask for what we use: the right to terminate, and the
    // rights to see whether the process has already exited.
    private const uint TerminateAccess =
        Kernel32.PROCESS_TERMINATE | Kernel32.SYNCHRONIZE | Kernel32.PROCESS_QUERY_LIMITED_INFORMATION;

    internal static void Kill(int pid, int sig)
    {
        string target = "pid " + pid.ToString(CultureInfo.InvariantCulture);
        if (IsConsoleEvent(sig))
        {
            SendConsoleEvent(pid, sig, target);
            return;
        }

        nint process = Kernel32.OpenProcess(TerminateAccess, inheritHandle: false, pid);
        if (process == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            OsKillEventSource.Log.WindowsKill(pid, sig, error);

            // Decision: CPython raises a bare OSError (winerror 87) here; a pid that names no
            // process is ProcessLookupException, as on POSIX.
            throw Win32Errors.ProcessError(error, "OpenProcess", OsException.Sending(sig, target), pid, sig);
        }

        try
        {
            Terminate(process, pid, sig, target);
        }
        finally
        {
            Kernel32.CloseHandle(process);
        }
    }

    internal static void Kill(SafeHandle process, int sig)
    {
        using var lease = SafeHandleLease.Acquire(process);
        nint handle = lease.Value;
        {
            int pid = Kernel32.GetProcessId(handle);
            if (pid == 0)
            {
                int error = Marshal.GetLastPInvokeError();
                OsKillEventSource.Log.WindowsKill(0, sig, error);
                throw OsException.FromWin32(
                    error, WinError.ToErrno(error), "GetProcessId",
                    OsException.Sending(sig, $"handle 0x{handle.ToString("x", CultureInfo.InvariantCulture)} (not a process handle)"), null, sig);
            }

            string target = $"pid {pid.ToString(CultureInfo.InvariantCulture)} (through its handle)";
            if (IsConsoleEvent(sig))
            {
                SendConsoleEvent(pid, sig, target);
            }
            else
            {
                Terminate(handle, pid, sig, target);
            }
        }
    }

    /// <summary>Throws <see cref="ProcessLookupException"/> unless <paramref name="pid"/> names a running process.</summary>
    internal static void RequireRunning(int pid, int sig)
    {
        string target = "pid " + pid.ToString(CultureInfo.InvariantCulture);
        nint process = Kernel32.OpenProcess(Kernel32.SYNCHRONIZE | Kernel32.PROCESS_QUERY_LIMITED_INFORMATION, inheritHandle: false, pid);
        if (process == 0)
        {
            throw Win32Errors.LastProcessError("OpenProcess", OsException.Sending(sig, target), pid, sig);
        }

        try
        {
            if (HasExited(process))
            {
                throw AlreadyExited(pid, sig, target);
            }
        }
        finally
        {
            Kernel32.CloseHandle(process);
        }
    }

    /// <summary>The C runtime's raise, as CPython's signal.raise_signal calls it on Windows.</summary>
    internal static void Raise(int sig)
    {
        int failed = Ucrt.Raise(sig);
        OsKillEventSource.Log.RaiseSignal(sig, failed == 0 ? 0 : Errno.EINVAL);
        if (failed != 0)
        {
            throw new OsException(Errno.EINVAL, $"[Errno {Errno.EINVAL}] Invalid argument: {OsException.Sending(sig, "the calling thread")} (raise)")
            {
                Operation = "raise",
                Signal = sig,
                OsMessage = "Invalid argument",
            };
        }
    }

    private static bool IsConsoleEvent(int sig) => sig is WindowsSignals.CtrlCEvent or WindowsSignals.CtrlBreakEvent;

    private static void SendConsoleEvent(int processGroup, int sig, string target)
    {
        bool sent = Kernel32.GenerateConsoleCtrlEvent((uint)sig, (uint)processGroup);
        int error = sent ? 0 : Marshal.GetLastPInvokeError();
        OsKillEventSource.Log.WindowsKill(processGroup, sig, error);
        if (!sent)
        {
            throw OsException.FromWin32(
                error, WinError.ToErrno(error), "GenerateConsoleCtrlEvent",
                $"cannot send {OsException.SignalText(sig)} to console process group {target}", processGroup, sig);
        }
    }

    private static void Terminate(nint process, int pid, int sig, string target)
    {
        // A process that has exited is "no such process" to the caller, as libuv reports it, even
        // while Windows still lets its handle be opened and TerminateProcess "succeed".
        if (HasExited(process))
        {
            OsKillEventSource.Log.WindowsKill(pid, sig, WinError.ERROR_INVALID_PARAMETER);
            throw AlreadyExited(pid, sig, target);
        }

        bool terminated = Kernel32.TerminateProcess(process, unchecked((uint)sig));
        int error = terminated ? 0 : Marshal.GetLastPInvokeError();
        OsKillEventSource.Log.WindowsKill(pid, sig, error);
        if (!terminated)
        {
            // TerminateProcess on a process that is exiting fails with access denied.
            if (HasExited(process))
            {
                throw AlreadyExited(pid, sig, target);
            }

            throw OsException.FromWin32(error, WinError.ToErrno(error), "TerminateProcess", OsException.Sending(sig, target), pid, sig);
        }
    }

    // A handle without SYNCHRONIZE cannot be waited on (WAIT_FAILED): then we cannot tell, and let
    // TerminateProcess decide.
    private static bool HasExited(nint process) => Kernel32.WaitForSingleObject(process, 0) == Kernel32.WAIT_OBJECT_0;

    private static ProcessLookupException AlreadyExited(int pid, int sig, string target) =>
        new(Errno.ESRCH, $"No such process: {OsException.Sending(sig, target)}: the process has already exited (TerminateProcess)")
        {
            Operation = "TerminateProcess",
            Pid = pid,
            Signal = sig,
            OsMessage = "The process has already exited.",
        };
}
