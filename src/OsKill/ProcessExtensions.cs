using System.Diagnostics;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill;

/// <summary>OsKill for <see cref="Process"/>: graceful stop and tree kill; for a handle that cannot go stale, see <see cref="ProcessHandle.FromProcess"/>.</summary>
public static class ProcessExtensions
{
    /// <summary>
    /// Stops the process politely, then by force: by default SIGTERM, 5 s, then SIGKILL (Windows:
    /// Ctrl+C, then TerminateProcess). See <see cref="ProcessHandle.StopAsync"/>.
    /// </summary>
    /// <param name="process">A started process.</param>
    /// <param name="options">The steps.</param>
    /// <param name="cancellationToken">Stops the escalation.</param>
    /// <returns>What happened.</returns>
    public static async Task<StopResult> StopAsync(this Process process, StopOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        ProcessHandle handle;
        try
        {
            handle = ProcessHandle.FromProcess(process);
        }
        catch (ProcessLookupException) when (process.HasExited)
        {
            return StopResult.EndedAfter(null, options ?? StopOptions.Default, TimeSpan.Zero, PlatformServices.ExitStatusOf(process));
        }

        using (handle)
        {
            return await handle.StopAsync(options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Kills the process and every one of its descendants, leaving none alive even while the tree
    /// keeps forking: see <see cref="ProcessHandle.KillTreeAsync"/>. Unlike
    /// <see cref="Process.Kill(bool)"/>, the tree is frozen before it is killed, and nothing can be
    /// sent to a process that reused a member's pid.
    /// </summary>
    /// <param name="process">A started process.</param>
    /// <param name="cancellationToken">Cancels the call before the kill; after it, only the wait.</param>
    /// <returns>Which processes were killed.</returns>
    /// <exception cref="ProcessLookupException">The process has exited (on Linux, reaped or not: a zombie has no children left to find).</exception>
    /// <exception cref="PlatformNotSupportedException">macOS and FreeBSD, where the tree walk is not implemented (guard the call with <c>OperatingSystem.IsLinux() || OperatingSystem.IsWindows()</c>).</exception>
    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    public static async Task<TreeKillResult> KillTreeAsync(this Process process, CancellationToken cancellationToken = default)
    {
        using ProcessHandle handle = OpenTreeRoot(process);
        return await handle.KillTreeAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the process and all its descendants politely, then by force: by default SIGTERM to
    /// every member, 5 s, then SIGKILL to every member left. See <see cref="ProcessHandle.StopTreeAsync"/>.
    /// </summary>
    /// <param name="process">A started process.</param>
    /// <param name="options">The steps.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="ProcessLookupException">The process has exited (on Linux, reaped or not: a zombie has no children left to find).</exception>
    /// <exception cref="PlatformNotSupportedException">macOS and FreeBSD, where the tree walk is not implemented (guard the call with <c>OperatingSystem.IsLinux() || OperatingSystem.IsWindows()</c>).</exception>
    [UnsupportedOSPlatform("macos")]
    [UnsupportedOSPlatform("freebsd")]
    public static async Task<TreeStopResult> StopTreeAsync(this Process process, StopOptions? options = null, CancellationToken cancellationToken = default)
    {
        using ProcessHandle handle = OpenTreeRoot(process);
        return await handle.StopTreeAsync(options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A handle on the root of a tree call: a root that has exited is the tree's "no such process", which says what may have become of its descendants.</summary>
    private static ProcessHandle OpenTreeRoot(Process process)
    {
        try
        {
            return ProcessHandle.FromProcess(process);
        }
        catch (ProcessLookupException e)
        {
            throw ProcessTree.RootGone(e);
        }
    }
}
