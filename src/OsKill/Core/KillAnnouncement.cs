namespace OsKill.Core;

/// <summary>
/// The audit rule of every kill of many processes at once (a container's members): each one is
/// announced as <c>os.kill</c> <c>(pid, sig)</c> before anything is sent to any of them, so that a
/// hook that vetoes one (by throwing) stops them all.
/// </summary>
internal static class KillAnnouncement
{
    /// <summary>
    /// Raises <c>os.kill</c> <c>(pid, <paramref name="sig"/>)</c> for every pid. A hook's exception
    /// goes on unchanged, with <paramref name="vetoed"/> left true, so that the caller can tell a
    /// veto from its own failures; false when every event went through.
    /// </summary>
    internal static void AnnounceAll(List<int> pids, int sig, out bool vetoed)
    {
        vetoed = true;
        foreach (int pid in pids)
        {
            Audit.RaiseKill(pid, sig);
        }

        vetoed = false;
    }
}
