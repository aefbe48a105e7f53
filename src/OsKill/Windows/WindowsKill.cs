using System.Runtime.InteropServices;

namespace OsKill.Windows;

/// <summary>
/// How kill works on Windows. Console control events and TerminateProcess are the subject of
/// their own work item; until it lands every call says so plainly instead of guessing.
/// </summary>
internal static class WindowsKill
{
    internal static void Kill(int pid, int sig) =>
        throw new PlatformNotSupportedException(
            $"Os.Kill(pid {pid}, {OsException.SignalText(sig)}) is not implemented on Windows yet.");

    internal static void Kill(SafeHandle process, int sig) =>
        throw new PlatformNotSupportedException(
            $"Os.Kill(handle 0x{process.DangerousGetHandle():x}, {OsException.SignalText(sig)}) is not implemented on Windows yet.");
}
