using System.Globalization;

namespace OsKill.Core;

/// <summary>
/// One process of a tree that <see cref="TreeSkeleton{TMember}"/> walks, held by a handle that
/// keeps naming it (a pidfd, a process handle): what the skeleton knows of it. A backend derives
/// its own member type with the handle and what else it reads.
/// </summary>
internal abstract class TreeMember
{
    protected TreeMember(int pid) => Pid = pid;

    /// <summary>The pid the member had when it was admitted.</summary>
    internal int Pid { get; }

    /// <summary>Frozen (stopped, suspended) or otherwise unable to fork: in vfork wait, exited, gone.</summary>
    internal bool Stopped { get; set; }

    /// <summary>We froze it (it was running before): thaw it if the operation is abandoned.</summary>
    internal bool StoppedByUs { get; set; }

    /// <summary>Seen as exited (a zombie, or reaped) before the kill.</summary>
    internal bool Exited { get; set; }

    /// <summary>Reaped: the handle names no process any more, and the pid may belong to someone else.</summary>
    internal bool Gone { get; set; }

    /// <summary>What the member was doing when it had still not frozen at the limit, for the error; null otherwise.</summary>
    internal string? NotStopped { get; set; }

    /// <summary>Neither seen exited nor gone.</summary>
    internal bool IsLive => !Gone && !Exited;

    /// <summary>The member in an error message: "pidfd 12 (pid 42)".</summary>
    internal abstract string Describe();

    /// <summary>Marks the member reaped: it names no process.</summary>
    internal void MarkGone()
    {
        Gone = true;
        Exited = true;
        Stopped = true;
    }

    /// <inheritdoc/>
    public override string ToString() => "pid " + Pid.ToString(CultureInfo.InvariantCulture);
}
