namespace OsKill.Core;

/// <summary>A tree stop: <see cref="StepChain"/> against a <see cref="TreeSkeleton{TMember}"/>, and its result.</summary>
internal static class TreeStop
{
    internal static async Task<TreeStopResult> RunAsync<TMember>(TreeSkeleton<TMember> tree, StopOptions options, CancellationToken cancellationToken)
        where TMember : TreeMember
    {
        StepChain.Outcome outcome = await StepChain.RunAsync(tree, options, StepChain.LongestTimer, cancellationToken).ConfigureAwait(false);
        return outcome.Exited
            ? TreeStopResult.EndedAfter(outcome.StepIndex, options, outcome.Elapsed, tree.Members.Count, tree.KilledCount, tree.Rounds, [.. tree.NotFrozen])
            : TreeStopResult.NotEnded(outcome.Elapsed, tree.Members.Count, tree.KilledCount, tree.Rounds, [.. tree.NotFrozen]);
    }
}
