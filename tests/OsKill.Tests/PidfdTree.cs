namespace OsKill.Tests;

/// <summary>A tree kill whose root is a pidfd the caller holds: <see cref="ProcessHandle.FromPidfd"/>, then <see cref="ProcessHandle.KillTreeAsync"/>.</summary>
internal static class PidfdTree
{
    internal static async Task<TreeKillResult> KillAsync(SafePidfdHandle root, CancellationToken cancellationToken)
    {
        using var handle = ProcessHandle.FromPidfd(root);
        return await handle.KillTreeAsync(cancellationToken).ConfigureAwait(false);
    }
}
