namespace OsKill.Core;

/// <summary>
/// The checks made before anything is sent, each with one message wherever it is made: a pid
/// that must name one process, and the caller (or one of its ancestors) that a tree or container
/// operation must never reach.
/// </summary>
internal static class ProcessGuards
{
    /// <summary>
    /// Refuses pid 0 and negative pids where one process is meant: to kill(2) 0 is the caller's
    /// own process group, which an uninitialised pid would signal by accident, and a negative pid
    /// is a process group (or, for −1, every process).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pid"/> is 0 or negative.</exception>
    internal static void RequireProcessId(int pid, string paramName = "pid")
    {
        if (pid <= 0)
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                pid,
                pid == 0
                    ? "pid 0 is not a process: to kill(2) it means the caller's own process group, which an uninitialised pid would signal by accident. Use Os.Kill(0, sig) or Os.KillPg if that is what you mean."
                    : $"pid {pid} is not a process: to kill(2) a negative pid means a process group (or, for -1, every process). Use Os.KillPg or Os.Kill for groups.");
        }
    }

    /// <summary>"the calling process itself" or "an ancestor of the calling process", for <paramref name="pid"/>.</summary>
    internal static string CallerOrAncestor(int pid) =>
        pid == Environment.ProcessId ? "the calling process itself" : "an ancestor of the calling process";

    /// <summary>
    /// The refusal of a tree whose root is the caller or one of its ancestors (<paramref name="who"/>
    /// says which): its tree holds the caller, which would stop or kill itself half-way.
    /// </summary>
    internal static ArgumentException TreeHoldsCaller(int pid, string who, string paramName) => new(
        $"Refusing to kill or stop the process tree of pid {pid}: it is {who} (pid {Environment.ProcessId}), so the tree holds the caller, which would stop itself half-way.",
        paramName);
}
