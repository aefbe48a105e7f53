using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill.Bsd;

/// <summary>
/// How a <see cref="ProcessHandle"/> works on macOS and FreeBSD, which have no pidfds: the pid plus
/// the process's start time (<see cref="StartTimeHandle"/>), read again before each use. The tree
/// walk is not implemented there. The tests use it on Linux too, where the kernel can prove what it
/// guarantees.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
[SupportedOSPlatform("freebsd")]
internal sealed class StartTimeHandleCore : IProcessHandleCore
{
    private readonly StartTimeHandle _handle;

    private StartTimeHandleCore(StartTimeHandle handle)
    {
        _handle = handle;
    }

    public int Pid => _handle.Pid;

    public SafeHandle Handle => _handle;

    /// <summary>Opens a handle for the process that has <paramref name="pid"/> now.</summary>
    internal static StartTimeHandleCore Open(int pid) => new(StartTimeHandle.Open(pid));

    public bool HasExited() => _handle.HasExited;

    public void Signal(int sig) => _handle.Signal(sig);

    public Task WaitForExitAsync(CancellationToken cancellationToken) => PlatformServices.WaitForStartTimeExitAsync(_handle, cancellationToken);

    /// <summary>Null: a pid and a start time cannot tell how the process ended.</summary>
    public ExitStatus? ReadExitStatus() => null;

    public void RequireTreeSupport() => throw NoTreeWalk();

    public Task<TreeKillResult> KillTreeAsync(CancellationToken cancellationToken) => throw NoTreeWalk();

    public Task<TreeStopResult> StopTreeAsync(StopOptions options, CancellationToken cancellationToken) => throw NoTreeWalk();

    public void Dispose() => _handle.Dispose();

    private PlatformNotSupportedException NoTreeWalk() => new(
        $"Cannot kill or stop the process tree of pid {Pid}: the tree walk needs pidfds (Linux) or process handles (Windows); it is not implemented on {PlatformServices.Name}.");
}
