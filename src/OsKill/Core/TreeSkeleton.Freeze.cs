namespace OsKill.Core;

/// <summary>The freeze of <see cref="TreeSkeleton{TMember}"/>: walk rounds, admission, and the wait until every member is quiet.</summary>
internal sealed partial class TreeSkeleton<TMember>
{
    /// <summary>The longest sleep between two polls of members that have not become quiet, in ms (the sleeps double from 1 ms).</summary>
    private const int MaxPollSleepMs = 16;

    /// <summary>Freezes the whole tree. Returns the number of rounds, and the members that did not become quiet (empty on success).</summary>
    private int Freeze(out List<TMember> unstopped, CancellationToken cancellationToken)
    {
        // The root on the first freeze; on a later one (a stop that escalates) every member that was
        // thawed after the previous step's signal.
        foreach (TMember m in Live().Where(m => !m.Stopped).ToList())
        {
            _backend.Freeze(m);
        }

        int rounds = 0;
        if (_backend.FreezesAtOnce || !_backend.CanFreeze)
        {
            // Every member found is frozen already (or cannot be): walk until a round finds
            // nothing new, or, without freezing, for a few rounds at most.
            unstopped = [];
            while (_backend.CanFreeze || rounds < UnfrozenRounds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                rounds++;
                if (Walk() == 0)
                {
                    break;
                }
            }

            return rounds;
        }

        while (true)
        {
            // Walk until a walk finds nothing new. Members are not waited for in between: each has
            // been frozen, and a walk of a member that is not yet quiet sees what it has forked so
            // far; the next walk sees the rest.
            int added;
            do
            {
                rounds++;
                added = Walk();
                cancellationToken.ThrowIfCancellationRequested();
            }
            while (added > 0);

            unstopped = WaitUntilQuiet(cancellationToken);
            if (unstopped.Count > 0)
            {
                return rounds;
            }

            // Every member is now quiet, and so cannot fork: a walk that finds nothing new proves
            // that the tree is closed.
            rounds++;
            if (Walk() == 0)
            {
                return rounds;
            }
        }
    }

    /// <summary>
    /// One round: reads the children of every live member (every member, where members keep their
    /// pids), breadth first, admitting and (with <paramref name="freeze"/>) freezing new ones and
    /// walking them too; then what the backend admits that no member lists
    /// (<see cref="ITreeBackend{TMember}.AdmitUnlisted"/>), walked the same way. Returns how many
    /// members were added.
    /// </summary>
    private int Walk(bool freeze = true)
    {
        _backend.BeginRound();
        bool keepPids = _backend.MembersKeepTheirPids;
        var queue = new Queue<TMember>(keepPids ? _members : Live());
        var children = new List<int>();
        int added = 0;
        while (true)
        {
            while (queue.Count > 0)
            {
                added += WalkChildren(queue, children, keepPids, freeze);
            }

            List<TMember> unlisted = _backend.AdmitUnlisted(LiveMember);
            if (unlisted.Count == 0)
            {
                return added;
            }

            foreach (TMember m in unlisted)
            {
                Add(m);
                if (freeze)
                {
                    _backend.Freeze(m);
                }

                added++;
                queue.Enqueue(m);
            }
        }
    }

    /// <summary>Walks the children of the next member in <paramref name="queue"/>, adding the new ones to it. Returns how many were added.</summary>
    private int WalkChildren(Queue<TMember> queue, List<int> children, bool keepPids, bool freeze)
    {
        int added = 0;
        TMember parent = queue.Dequeue();
        children.Clear();

        // The list is the member's only if the member still held its pid after we read it.
        bool listed = _backend.ListChildren(parent, children);
        if (!_backend.HoldsPid(parent))
        {
            parent.MarkGone();
            return added;
        }

        if (!listed)
        {
            return added;
        }

        foreach (int pid in children)
        {
            if (_byPid.TryGetValue(pid, out TMember? known) && (keepPids || !known.Gone))
            {
                if (keepPids || _backend.HoldsPid(known))
                {
                    continue;
                }

                // The member was reaped and its pid reused by this child.
                known.MarkGone();
            }

            TMember? child = _backend.Admit(pid, LiveMember);
            if (child is null)
            {
                continue;
            }

            if (_byPid.TryGetValue(pid, out TMember? old))
            {
                _members.Remove(old);
                _release(old);
            }

            Add(child);
            if (freeze)
            {
                _backend.Freeze(child);
            }

            added++;
            queue.Enqueue(child);
        }

        return added;
    }

    /// <summary>The live member that holds <paramref name="pid"/>, or null.</summary>
    private TMember? LiveMember(int pid) =>
        _byPid.TryGetValue(pid, out TMember? m) && (_backend.MembersKeepTheirPids || (!m.Gone && _backend.HoldsPid(m))) ? m : null;

    /// <summary>
    /// Waits until every member is quiet, bounded by the backend's stop limit. It spins (yielding
    /// the CPU) for the spin limit only, then polls with sleeps of 1 ms doubling to
    /// <see cref="MaxPollSleepMs"/>: a member that takes longer waits for something (I/O, a tracer),
    /// and a caller at raised priority that spun for it would take the CPU from the very members it
    /// waits for. Returns the members that had not become quiet by the limit, each with what it was
    /// doing (<see cref="TreeMember.NotStopped"/>): empty on success.
    /// </summary>
    private List<TMember> WaitUntilQuiet(CancellationToken cancellationToken)
    {
        var pending = _members.Where(m => !m.Stopped && !m.Gone).ToList();
        long deadline = Deadline.After(_backend.StopLimit);
        long spinEnd = Deadline.After(_backend.SpinLimit);
        var spinner = default(SpinWait);
        int sleepMs = 1;
        while (true)
        {
            // The slower checks only past the spin: they cost a few reads per member.
            bool thorough = Deadline.Passed(spinEnd);
            int kept = 0;
            for (int i = 0; i < pending.Count; i++)
            {
                if (_backend.IsQuiet(pending[i], thorough))
                {
                    pending[i].Stopped = true;
                }
                else
                {
                    pending[kept++] = pending[i];
                }
            }

            pending.RemoveRange(kept, pending.Count - kept);
            if (pending.Count == 0)
            {
                return pending;
            }

            if (Deadline.Passed(deadline))
            {
                foreach (TMember m in pending)
                {
                    m.NotStopped = _backend.DescribeNotStopped(m);
                }

                return pending;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!thorough)
            {
                // A freeze takes effect when the process next runs; give it the CPU.
                spinner.SpinOnce(sleep1Threshold: -1);
            }
            else
            {
                cancellationToken.WaitHandle.WaitOne(sleepMs);
                sleepMs = Math.Min(sleepMs * 2, MaxPollSleepMs);
            }
        }
    }
}
