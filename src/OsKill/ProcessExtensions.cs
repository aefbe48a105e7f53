using System.Diagnostics;
using System.Runtime.Versioning;

namespace OsKill;

/// <summary>OsKill for <see cref="Process"/>: graceful stop, and a handle that cannot go stale.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
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
            return new StopResult
            {
                Exited = true,
                AlreadyExited = true,
                Elapsed = TimeSpan.Zero,
                ExitStatus = new ProcessExitStatus(process.ExitCode, null),
            };
        }

        using (handle)
        {
            return await handle.StopAsync(options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a <see cref="ProcessHandle"/> for the process: see <see cref="ProcessHandle.FromProcess"/>.</summary>
    /// <param name="process">A started process.</param>
    /// <returns>The handle.</returns>
    public static ProcessHandle OpenHandle(this Process process) => ProcessHandle.FromProcess(process);
}
