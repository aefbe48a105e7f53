namespace OsKill.Core;

/// <summary>
/// The walks of <see cref="TreeSkeleton{TMember}"/> that neither freeze nor come before a signal: the
/// bounded walk of a group step (and of a caller that only lists descendants), the wait of a group
/// step, and the walk after a kill's exits that ends what it finds (see
/// <see cref="ITreeBackend{TMember}.WalksAfterExit"/>).
/// </summary>
internal sealed partial class TreeSkeleton<TMember>
{
    /// <summary>Walks the tree without freezing, until a round finds nothing new or for <see cref="UnfrozenRounds"/> rounds. Returns the rounds.</summary>
    internal int WalkWithoutFreezing(CancellationToken cancellationToken)
    {
        int rounds = 0;
        while (rounds < UnfrozenRounds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rounds++;
            if (Walk(freeze: false) == 0)
            {
                break;
            }
        }

        return rounds;
    }

    /// <summary>
    /// After every member a kill reached has exited: walks once more, and ends (audit first, all or
    /// nothing) and waits for what the walk finds, until a walk finds nothing new. Adds the members
    /// it reached to <paramref name="killed"/> and its errors to <paramref name="errors"/>. Returns
    /// the members still running at <paramref name="deadline"/>.
    /// </summary>
    private async Task<List<TMember>> EndLateMembersAsync(int sig, List<TMember> killed, List<Exception> errors, long deadline, string purpose, CancellationToken cancellationToken)
    {
        while (true)
        {
            _rounds++;
            if (Walk(freeze: true) == 0)
            {
                return [];
            }

            AuditAllOrThaw(sig);
            List<TMember> reached = SignalAll(sig, purpose, out List<Exception> more);
            killed.AddRange(reached);
            _killed.UnionWith(reached.Select(m => m.Pid));
            errors.AddRange(more);
            if (more.Count > 0)
            {
                return [];
            }

            List<TMember> left = await _backend.WaitForExitAsync(reached, deadline, cancellationToken).ConfigureAwait(false);
            if (left.Count > 0)
            {
                return left;
            }
        }
    }

    private async Task WaitAndEndLateMembersAsync(CancellationToken cancellationToken)
    {
        List<TMember> left = await _backend.WaitForExitAsync(_reached, Deadline.None, cancellationToken).ConfigureAwait(false);
        var errors = new List<Exception>();
        if (left.Count == 0)
        {
            await EndLateMembersAsync(_stepSignal, _reached, errors, Deadline.None, " while stopping its process tree", cancellationToken).ConfigureAwait(false);
        }

        if (errors.Count > 0)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException($"Stopping the process tree of pid {RootPid} failed.", errors);
        }
    }

    private async Task WaitForGroupAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _backend.WaitForExitAsync([.. Live()], Deadline.None, cancellationToken).ConfigureAwait(false);
            _rounds++;
            if (Walk(freeze: false) == 0)
            {
                return;
            }
        }
    }
}
