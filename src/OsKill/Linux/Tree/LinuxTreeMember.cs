using System.Globalization;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill.Linux.Tree;

/// <summary>A member of a Linux process tree: its pid, the pidfd that names it, and what its stat last said.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxTreeMember : TreeMember
{
    internal LinuxTreeMember(int pid, SafePidfdHandle pidfd, bool ownsPidfd)
        : base(pid)
    {
        Pidfd = pidfd;
        OwnsPidfd = ownsPidfd;
    }

    internal SafePidfdHandle Pidfd { get; }

    /// <summary>False for the root when the caller holds its pidfd: the tree must not close it.</summary>
    internal bool OwnsPidfd { get; }

    /// <summary>How many threads its stat showed (each task is checked for quiet, and each lists children).</summary>
    internal int Threads { get; set; } = 1;

    /// <summary>The stat read, through the new pidfd, when it was admitted (the root's: when the tree started): the freeze uses it rather than read again.</summary>
    internal ProcFs.Stat? AdmittedStat { get; set; }

    /// <inheritdoc/>
    internal override string Describe() => $"pidfd {Pidfd.FileDescriptor.ToString(CultureInfo.InvariantCulture)} (pid {Pid.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>Closes the pidfd if the tree opened it.</summary>
    internal void Release()
    {
        if (OwnsPidfd)
        {
            Pidfd.Dispose();
        }
    }
}
