using System.Runtime.InteropServices;

namespace OsKill;

/// <summary>
/// Owns a Linux pidfd: a file descriptor that names one process for as long as it is open,
/// whatever later happens to that process's pid. Made by <see cref="Os.PidfdOpen"/>.
/// </summary>
public sealed class SafePidfdHandle : SafeHandle
{
    /// <summary>Creates an invalid handle, for marshalling.</summary>
    public SafePidfdHandle()
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        Pid = -1;
    }

    /// <summary>Wraps a pidfd that the caller already has.</summary>
    /// <param name="fd">The descriptor.</param>
    /// <param name="pid">The pid the descriptor was opened for, or −1 when unknown. Used in messages.</param>
    /// <param name="ownsHandle">Whether disposing this handle closes the descriptor.</param>
    public SafePidfdHandle(int fd, int pid, bool ownsHandle = true)
        : base(invalidHandleValue: -1, ownsHandle)
    {
        SetHandle(fd);
        Pid = pid;
    }

    /// <summary>The pid the descriptor was opened for, or −1 when unknown.</summary>
    public int Pid { get; }

    /// <summary>The descriptor number.</summary>
    public int FileDescriptor => (int)handle;

    /// <inheritdoc/>
    public override bool IsInvalid => handle < 0;

    /// <summary>Describes the handle: "pidfd 7 (pid 1234)".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => IsClosed
        ? $"pidfd (closed, pid {Pid})"
        : $"pidfd {FileDescriptor} (pid {Pid})";

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => Interop.Libc.Close((int)handle) == 0;
}
