using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace OsKill.Windows;

/// <summary>How a process tree is killed and stopped on Windows. Not implemented yet.</summary>
[SupportedOSPlatform("windows")]
internal static class WindowsProcessTree
{
    /// <summary>Kills the process that <paramref name="root"/> names and all its descendants.</summary>
    internal static Task<TreeKillResult> KillAsync(SafeHandle root, int rootPid, CancellationToken cancellationToken) =>
        throw new PlatformNotSupportedException($"The tree kill of pid {rootPid} is not implemented on Windows yet.");

    /// <summary>Stops the process that <paramref name="root"/> names and all its descendants, step by step.</summary>
    internal static Task<TreeStopResult> StopAsync(SafeHandle root, int rootPid, StopOptions options, CancellationToken cancellationToken) =>
        throw new PlatformNotSupportedException($"The tree stop of pid {rootPid} is not implemented on Windows yet.");
}
