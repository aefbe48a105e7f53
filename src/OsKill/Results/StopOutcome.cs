namespace OsKill;

/// <summary>How a stop (<see cref="ProcessHandle.StopAsync"/>, <see cref="ProcessHandle.StopTreeAsync"/>, <see cref="ProcessContainer.StopAsync"/>) ended.</summary>
public enum StopOutcome
{
    /// <summary>The process (for a tree: the root, with no member left; for a container: every member) had exited before the first step: nothing was sent.</summary>
    AlreadyExited,

    /// <summary>It exited after a step: the result's <c>StepIndex</c> and <c>Step</c> say which.</summary>
    ExitedAtStep,

    /// <summary>The steps ran out with it (for a tree or a container: at least one member) still running.</summary>
    StillRunning,
}
