using System.Globalization;

namespace OsKill.Core;

/// <summary>
/// The part of a tree kill and a tree stop that every platform shares, over an
/// <see cref="ITreeBackend{TMember}"/>: walk rounds breadth first, admitting and freezing each new
/// member; wait until every member is quiet and prove with one more round that the tree is closed;
/// raise the audit events of a signal for every member before any is sent (all or nothing); thaw
/// what was frozen when anything fails; send, wait, and report.
/// </summary>
/// <remarks>
/// <para>The freeze: the root is frozen, then rounds read the children of every live member,
/// admit and freeze the new ones and walk them in the same round. Rounds follow each other until
/// one finds nothing new; then the call waits until every member is quiet (frozen, exited, gone,
/// or otherwise unable to fork), since a freeze takes effect asynchronously, and walks once more.
/// A round that finds nothing new while every member is quiet ends the freeze: quiet processes
/// cannot fork, so the set is closed.</para>
/// <para>A member that did not become quiet within <see cref="ITreeBackend{TMember}.StopLimit"/>
/// is not an error of the freeze itself: a kill still kills everything found and then reports it
/// (<see cref="TimeoutException"/>), and a stop goes on with its steps, its last step included,
/// and names those members in <see cref="TreeStopResult.NotFrozenPids"/>.</para>
/// <para>What differs by platform, the backend says (the defaults of <see cref="ITreeBackend{TMember}"/>
/// are Linux's): members that keep their pids after they exit and are still walked, freezes that take
/// effect at once (no wait for quiet, no closing round), a walk after a kill's exits, signals sent once
/// to a group the members share (a console), the order of a send, members that no member lists.</para>
/// <para>Errors: the freeze, a vetoed signal, a failed read or a cancellation thaws what the call
/// froze and rethrows the error unchanged (or, when the thaw failed too, all of them together).</para>
/// </remarks>
/// <typeparam name="TMember">The platform's member type.</typeparam>
internal sealed partial class TreeSkeleton<TMember> : IStopTarget, IDisposable
    where TMember : TreeMember
{
    /// <summary>How long the killed members may take to exit.</summary>
    internal static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(10);

    /// <summary>How many rounds a walk that does not freeze makes before it goes ahead (a tree that forks faster than the walk never stops growing).</summary>
    internal const int UnfrozenRounds = 8;

    private readonly ITreeBackend<TMember> _backend;
    private readonly Action<TMember> _release;
    private readonly Dictionary<int, TMember> _byPid = [];
    private readonly List<TMember> _members = [];
    private readonly HashSet<int> _killed = [];
    private readonly List<int> _notFrozen = [];
    private List<TMember> _unstopped = [];
    private List<TMember> _reached = [];
    private int _rounds;
    private int _stepSignal;
    private bool _groupStep;

    /// <summary>Starts a tree at <paramref name="root"/>, already checked not to hold the caller.</summary>
    /// <param name="backend">The platform.</param>
    /// <param name="root">The root member.</param>
    /// <param name="release">Releases a member's handle when it leaves the tree or the tree is disposed.</param>
    internal TreeSkeleton(ITreeBackend<TMember> backend, TMember root, Action<TMember> release)
    {
        _backend = backend;
        _release = release;
        RootPid = root.Pid;
        Add(root);
    }

    /// <summary>The root's pid, for messages.</summary>
    internal int RootPid { get; }

    /// <summary>Every member found so far, the root first.</summary>
    internal IReadOnlyList<TMember> Members => _members;

    /// <summary>How many walk rounds the freezes took together.</summary>
    internal int Rounds => _rounds;

    /// <summary>How many distinct members a kill signal reached.</summary>
    internal int KilledCount => _killed.Count;

    /// <summary>The pids of the members that did not become quiet for some freeze, in the order found.</summary>
    internal IReadOnlyList<int> NotFrozen => _notFrozen;

    /// <summary>
    /// Freezes the tree and kills every member, then waits for their exits (up to
    /// <see cref="ExitLimit"/>). Returns the result, or throws every error, the incomplete freeze
    /// first: what was killed has been killed all the same.
    /// </summary>
    internal async Task<TreeKillResult> KillAsync(TimeSpan elapsedBefore, System.Diagnostics.Stopwatch clock, CancellationToken cancellationToken)
    {
        Task<List<TMember>> exits;
        List<TMember> killed;
        List<Exception> errors;
        int exitedDuringWalk;
        long deadline;
        using (_backend is IPriorityBoosting boosting ? boosting.Boost() : null)
        {
            FreezeOrThaw(cancellationToken);

            // Never leave a tree frozen: with some member not quiet, everything found is killed
            // all the same, and the result says that the freeze was not complete.
            exitedDuringWalk = _members.Count(m => m.Exited);
            AuditAllOrThaw(_backend.KillSignal);
            killed = SignalAll(_backend.KillSignal, " while killing its process tree", out errors);
            deadline = Deadline.After(ExitLimit);
            exits = _backend.WaitForExitAsync(killed, deadline, cancellationToken);
        }

        List<TMember> left = await exits.ConfigureAwait(false);
        if (left.Count == 0 && errors.Count == 0 && _backend.WalksAfterExit)
        {
            left = await EndLateMembersAsync(_backend.KillSignal, killed, errors, deadline, " while killing its process tree", cancellationToken).ConfigureAwait(false);
        }

        if (_unstopped.Count > 0)
        {
            // Say what happened: which members did not stop, in what state, that they were killed
            // with the rest, whether all have exited, and the one thing that is not known.
            string all = killed.Count == 1 ? "The only member found was" : $"All {killed.Count} members found were";
            string outcome = left.Count == 0
                ? $"{all} sent {_backend.KillName} and have exited"
                : $"{all} sent {_backend.KillName}, but {left.Count} had not exited after {ExitLimit.TotalSeconds:0} s: {Pids(left)}";
            errors.Insert(0, new TimeoutException(
                $"The process tree of pid {RootPid} was killed without a complete freeze: {NotStoppedText(_unstopped)} within {_backend.StopLimit.TotalSeconds:0} s of its {_backend.FreezeName}. " +
                $"{outcome}; a child that {ItOrThey(_unstopped)} forked after the last walk, if any, was not found and may still be running."));
        }
        else if (left.Count > 0)
        {
            errors.Add(new TimeoutException(
                $"{_backend.KillName} reached all {killed.Count} member(s) of the process tree of pid {RootPid}, but {left.Count} had not exited after {ExitLimit.TotalSeconds:0} s" +
                $"{_backend.NotExitedHint}: {Pids(left)}."));
        }

        if (errors.Count > 0)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException($"Killing the process tree of pid {RootPid} failed.", errors);
        }

        exitedDuringWalk = _backend.ExitedDuringWalk ?? exitedDuringWalk;
        return new TreeKillResult(killed.ConvertAll(m => m.Pid), _rounds, exitedDuringWalk, elapsedBefore + clock.Elapsed);
    }

    /// <summary>
    /// One step of a stop: freezes the tree (every member found so far, and everything they have
    /// forked since), raises the step's audit events for every member, sends the signal, and, for a
    /// polite signal, thaws every member so that it can act on it (systemd sends SIGCONT after its
    /// stop signal for the same reason). A kill step kills the frozen tree. Returns false when no
    /// member was alive to receive it.
    /// </summary>
    public bool Send(int index, StopStep step, CancellationToken cancellationToken)
    {
        _backend.BeginStep(step.Number);
        _stepSignal = step.Number;
        _groupStep = _backend.IsGroupSignal(step.Number);
        if (_groupStep)
        {
            // A signal to a group the members share (a console): found without freezing, sent once.
            _rounds += WalkWithoutFreezing(cancellationToken);
            return _backend.SendToGroup([.. Live()], step.Number);
        }

        List<Exception> errors;
        using (_backend is IPriorityBoosting boosting ? boosting.Boost() : null)
        {
            FreezeOrThaw(cancellationToken);
            AuditAllOrThaw(step.Number);
            if (_backend.IsKill(step.Number))
            {
                _reached = SignalAll(step.Number, " while killing its process tree", out errors);
                _killed.UnionWith(_reached.Select(m => m.Pid));
            }
            else
            {
                _reached = SignalAll(step.Number, " while stopping its process tree", out errors);
                errors.AddRange(Continue(all: true, " to let it act on the stop signal"));
            }
        }

        foreach (TMember m in _unstopped)
        {
            if (!_notFrozen.Contains(m.Pid))
            {
                _notFrozen.Add(m.Pid);
            }
        }

        if (errors.Count > 0)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException($"Stopping the process tree of pid {RootPid} failed.", errors);
        }

        return _reached.Count > 0;
    }

    /// <summary>
    /// Completes once every member the last step reached has exited (after a group signal: every
    /// live member), and, where the backend walks after exits, once a walk made after they all had
    /// finds nothing new: a kill step ends what that walk finds, a group step waits for it too.
    /// </summary>
    public async Task<bool> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await (_groupStep ? WaitForGroupAsync(cancellationToken)
            : _backend.WalksAfterExit && _backend.IsKill(_stepSignal) ? WaitAndEndLateMembersAsync(cancellationToken)
            : _backend.WaitForExitAsync(_reached, Deadline.None, cancellationToken)).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (TMember m in _members)
        {
            _release(m);
        }
    }

    private static string SignalText(int sig) => OsException.SignalText(sig);

    /// <summary>"pid 42 (state D, ...) did not stop", or "pids 42 (...), 43 (...) did not stop".</summary>
    private static string NotStoppedText(List<TMember> members) =>
        (members.Count == 1 ? string.Empty : "pids: ") +
        string.Join(", ", members.Take(20).Select(m => m.NotStopped ?? $"pid {m.Pid}")) +
        (members.Count > 20 ? $" and {members.Count - 20} more" : string.Empty) + " did not stop";

    private static string ItOrThey(List<TMember> members) => members.Count == 1 ? "it" : "they";

    private static string Pids(List<TMember> members) =>
        string.Join(", ", members.Take(20).Select(m => m.Pid.ToString(CultureInfo.InvariantCulture))) + (members.Count > 20 ? $" and {members.Count - 20} more" : string.Empty);

    /// <summary>
    /// Freezes the tree, adding the rounds to <see cref="Rounds"/> and leaving the members that did
    /// not become quiet in <see cref="_unstopped"/>. On an error, a veto or cancellation, thaws what
    /// it froze and rethrows.
    /// </summary>
    private void FreezeOrThaw(CancellationToken cancellationToken) =>
        OrThaw("Freezing", () => _rounds += Freeze(out _unstopped, cancellationToken));

    /// <summary>
    /// Raises <c>os.kill</c> for <paramref name="sig"/> to every live member, before any is sent:
    /// a veto of one sends it to none. On a veto, thaws the frozen tree and rethrows.
    /// </summary>
    private void AuditAllOrThaw(int sig) =>
        OrThaw($"Sending {SignalText(sig)} to", () =>
        {
            foreach (TMember m in Live().Where(m => !_backend.AlreadyEnded(m)))
            {
                Audit.RaiseKill(m.Pid, sig);
            }
        });

    /// <summary>
    /// Runs <paramref name="work"/>; when it throws, thaws every member we froze and rethrows the
    /// exception unchanged, or, when thawing failed too, all of them together.
    /// </summary>
    private void OrThaw(string what, Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            List<Exception> thawErrors = Continue(all: false, " to continue it after the tree kill failed");
            if (thawErrors.Count == 0)
            {
                throw;
            }

            thawErrors.Insert(0, e);
            throw new AggregateException($"{what} the process tree of pid {RootPid} failed, and so did continuing its stopped members.", thawErrors);
        }
    }

    /// <summary>
    /// Sends <paramref name="sig"/> to every live member, its audit events already raised by
    /// <see cref="AuditAllOrThaw"/>. Returns those it reached; a member found reaped is marked gone,
    /// and any other error is collected, its message ending with <paramref name="purpose"/>.
    /// </summary>
    private List<TMember> SignalAll(int sig, string purpose, out List<Exception> errors)
    {
        errors = [];
        var reached = new List<TMember>(_members.Count);
        foreach (TMember m in _backend.SendOrder([.. Live()]))
        {
            int errno = _backend.Send(m, sig);
            if (errno == 0)
            {
                reached.Add(m);
            }
            else if (errno == Interop.Errno.ESRCH)
            {
                m.MarkGone();
            }
            else
            {
                errors.Add(_backend.SendFailed(m, sig, errno, purpose));
            }
        }

        return reached;
    }

    /// <summary>
    /// Thaws, each with its audit event first, every live member (<paramref name="all"/>: after a
    /// stop step's signal, which a frozen process cannot act on) or only those we froze (after a
    /// failed, vetoed or cancelled freeze or kill: a member that was stopped before we came stays
    /// stopped). A veto or an error for one member does not keep the others frozen. Returns the
    /// vetoes and errors (a member gone is not one), messages ending with <paramref name="purpose"/>.
    /// </summary>
    private List<Exception> Continue(bool all, string purpose)
    {
        var errors = new List<Exception>();
        foreach (TMember m in Live().Where(m => all || m.StoppedByUs).ToList())
        {
            int errno;
            try
            {
                errno = _backend.Thaw(m);
            }
#pragma warning disable CA1031 // A hook's veto of one thaw is reported with the rest; the other members are still thawed.
            catch (Exception e)
#pragma warning restore CA1031
            {
                errors.Add(e);
                continue;
            }

            if (errno == 0)
            {
                m.Stopped = false;
                m.StoppedByUs = false;
            }
            else if (errno == Interop.Errno.ESRCH)
            {
                m.MarkGone();
            }
            else
            {
                errors.Add(OsException.FromErrno(errno, _backend.SendOperation, OsException.Sending(_backend.ThawSignal, m.Describe()) + purpose, m.Pid, _backend.ThawSignal));
            }
        }

        return errors;
    }

    /// <summary>The members not known to have exited.</summary>
    private IEnumerable<TMember> Live() => _members.Where(m => m.IsLive && !SeenExited(m));

    /// <summary>Marks the member exited when the backend sees it has (<see cref="ITreeBackend{TMember}.HasExited"/>).</summary>
    private bool SeenExited(TMember m)
    {
        if (!_backend.HasExited(m))
        {
            return false;
        }

        m.Exited = true;
        return true;
    }

    private void Add(TMember m)
    {
        _byPid[m.Pid] = m;
        _members.Add(m);
    }
}
