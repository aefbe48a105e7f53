using System.Globalization;

namespace OsKill;

/// <summary>One member of a <see cref="ProcessContainer"/> that a stop saw, and the step that ended it. Immutable; made only by the library.</summary>
public sealed class ContainerMemberResult
{
    internal ContainerMemberResult(int pid, bool isMain, int? stepIndex, StopStep? step)
    {
        Pid = pid;
        IsMain = isMain;
        StepIndex = stepIndex;
        Step = step;
    }

    /// <summary>The member's process id.</summary>
    public int Pid { get; }

    /// <summary>Whether it is the container's main process (<see cref="ProcessContainer.MainProcessId"/>).</summary>
    public bool IsMain { get; }

    /// <summary>
    /// The index of the step after which it had exited: it was there when that step was sent (or
    /// was forked during it) and gone when its wait ended. Null when it was still running when the
    /// steps ran out.
    /// </summary>
    public int? StepIndex { get; }

    /// <summary>That step; null when it was still running when the steps ran out.</summary>
    public StopStep? Step { get; }

    /// <summary>Whether it had exited when the stop returned.</summary>
    public bool Exited => StepIndex is not null;

    /// <summary>"pid 1234 (main): step 0 (SIGTERM, then wait 5000 ms)", or "pid 1235: still running".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"pid {Pid}{(IsMain ? " (main)" : string.Empty)}: {(StepIndex is int i ? $"step {i} ({Step})" : "still running")}");
}
