namespace OsKill.Core;

/// <summary>A tree stop: <see cref="StepChain"/> against a <see cref="TreeSkeleton{TMember}"/>, and its result.</summary>
internal static class TreeStop
{
    internal static async Task<TreeStopResult> RunAsync<TMember>(TreeSkeleton<TMember> tree, StopOptions options, CancellationToken cancellationToken)
        where TMember : TreeMember
    {
        StepChain.Outcome outcome = await StepChain.RunAsync(tree, options, StepChain.LongestTimer, cancellationToken).ConfigureAwait(false);
        return new TreeStopResult
        {
            Exited = outcome.Exited,
            AlreadyExited = outcome.Exited && outcome.StepIndex is null,
            StepIndex = outcome.StepIndex,
            Signal = outcome.StepIndex is int s ? options.Steps[s].Signal : null,
            Elapsed = outcome.Elapsed,
            Members = tree.Members.Count,
            Killed = tree.KilledCount,
            Rounds = tree.Rounds,
            NotFrozenPids = [.. tree.NotFrozen],
        };
    }
}
