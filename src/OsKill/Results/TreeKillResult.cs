using System.Globalization;

namespace OsKill;

/// <summary>
/// What a tree kill did: <see cref="ProcessTree.KillAsync(int, CancellationToken)"/> or
/// <see cref="ProcessContainer.KillAsync"/>.
/// </summary>
public sealed class TreeKillResult
{
    internal TreeKillResult(IReadOnlyList<int> killedPids, int rounds, int exitedDuringWalk, TimeSpan elapsed)
    {
        KilledPids = killedPids;
        Rounds = rounds;
        ExitedDuringWalk = exitedDuringWalk;
        Elapsed = elapsed;
    }

    /// <summary>How many processes were killed: the length of <see cref="KilledPids"/>.</summary>
    public int KilledCount => KilledPids.Count;

    /// <summary>
    /// The pids of the processes that were killed, the root first. Each had been frozen (stopped
    /// with SIGSTOP on Linux, suspended on Windows) and was still running when SIGKILL (Windows:
    /// TerminateProcess) reached it, and each has exited by the time the result is returned. A container kill lists the processes that were in the container just before the
    /// kill; a child forked in that instant is killed too, but may be missing from the list.
    /// </summary>
    public IReadOnlyList<int> KilledPids { get; }

    /// <summary>
    /// How many walk rounds the freeze took. A round reads the children of every member and stops
    /// the new ones. Rounds follow each other until one finds nothing new; then the call waits until
    /// every member has really stopped, and one more round must again find nothing new. A single
    /// process takes 2 rounds, a tree with children at least 3. 0 for a container, which is not walked.
    /// </summary>
    public int Rounds { get; }

    /// <summary>
    /// Members that exited on their own, or were reaped, before they could be stopped. On Linux their
    /// children at the time they exited were reparented (to init or the nearest subreaper) and so
    /// left the tree: no walk can reach them. On Windows the walk still finds the children of a
    /// member whose handle it holds, so such children are not lost. 0 means that nothing exited
    /// during the kill.
    /// </summary>
    public int ExitedDuringWalk { get; }

    /// <summary>The time from the call until every killed process had exited.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Describes the result: "killed 31 processes in 2 rounds, 12.3 ms".</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        string text = string.Create(
            CultureInfo.InvariantCulture,
            $"killed {KilledCount} process{(KilledCount == 1 ? string.Empty : "es")} in {Rounds} round{(Rounds == 1 ? string.Empty : "s")}, {Elapsed.TotalMilliseconds:0.0} ms");
        return ExitedDuringWalk == 0
            ? text
            : string.Create(CultureInfo.InvariantCulture, $"{text}; {ExitedDuringWalk} exited on their own during the walk");
    }
}
