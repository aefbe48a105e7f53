using System.Runtime.InteropServices;

namespace OsKill.Core;

/// <summary>
/// What a <see cref="ProcessHandle"/> does on one platform: a pidfd (Linux), a process handle
/// (Windows), or a pid plus its start time (macOS, FreeBSD). <see cref="ProcessHandle"/> keeps the
/// validation, the disposal and the bridge from Dispose to pending calls; the core does the rest.
/// </summary>
/// <remarks>
/// Every member but <see cref="Pid"/> and <see cref="Handle"/> expects the handle open: a closed one
/// gives <see cref="ObjectDisposedException"/>. Disposing the core closes <see cref="Handle"/>.
/// </remarks>
internal interface IProcessHandleCore : IDisposable
{
    /// <summary>The pid the handle was opened for.</summary>
    int Pid { get; }

    /// <summary>The underlying handle, which the core owns.</summary>
    SafeHandle Handle { get; }

    /// <summary>True once the process has exited (a zombie counts as exited). Sends nothing.</summary>
    bool HasExited();

    /// <summary>
    /// Sends <paramref name="sig"/> through the handle, after the checks of its platform: a process
    /// that has exited (zombie included) is <see cref="ProcessLookupException"/>, never a send;
    /// on Windows Ctrl+C and Ctrl+Break go to the process's console.
    /// </summary>
    void Signal(int sig);

    /// <summary>Completes when the process exits; cancelled when <paramref name="cancellationToken"/> is.</summary>
    Task WaitForExitAsync(CancellationToken cancellationToken);

    /// <summary>How the process ended, where the platform can tell from the handle alone; otherwise null.</summary>
    ExitStatus? ReadExitStatus();

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> where the platform has no tree walk; before anything else, so the caller sees it at once.</summary>
    void RequireTreeSupport();

    /// <summary>Kills the process and its descendants: the platform's tree kill, on a handle of its own, so that Dispose may close <see cref="Handle"/> at once.</summary>
    Task<TreeKillResult> KillTreeAsync(CancellationToken cancellationToken);

    /// <summary>Stops the process and its descendants step by step: the platform's tree stop, on a handle of its own.</summary>
    Task<TreeStopResult> StopTreeAsync(StopOptions options, CancellationToken cancellationToken);
}
