namespace OsKill.Core;

/// <summary>
/// A container stop: <see cref="StepChain"/> against a container's members, in one of systemd's
/// kill modes, with one budget across the steps, and a record of the step that ended each member.
/// </summary>
/// <remarks>
/// <para>Control-group mode: every step goes to every member (<see cref="IContainerBackend.Signal"/>)
/// and waits until the container is empty (<see cref="IContainerBackend.WaitUntilEmptyAsync"/>).</para>
/// <para>Mixed mode: the steps before the last go to the main process only, through its handle, and
/// wait for its exit; once it has exited (or when it had already), the last step goes at once to
/// every member still there and waits until the container is empty. A container with no main
/// process gets the last step at once.</para>
/// <para>A member is first seen in the listing made before a step (or among those the step
/// reached), and is recorded as ended by the step after whose wait a listing no longer names it.</para>
/// </remarks>
internal sealed class ContainerStop : IStopTarget
{
    private readonly IContainerBackend _backend;
    private readonly ProcessHandle? _main;
    private readonly int? _mainPid;
    private readonly ContainerKillMode _mode;
    private readonly int _lastStep;
    private readonly List<int> _order = [];
    private readonly Dictionary<int, int?> _endedAt = [];
    private bool _mainOnly;
    private bool _skipWait;
    private int _current = -1;

    private ContainerStop(IContainerBackend backend, ProcessHandle? main, int? mainPid, ContainerKillMode mode, int lastStep)
    {
        _backend = backend;
        _main = main;
        _mainPid = mainPid;
        _mode = mode;
        _lastStep = lastStep;
    }

    /// <summary>Runs the stop.</summary>
    /// <param name="backend">The container.</param>
    /// <param name="main">A handle of the main process, or null when there is none (or it could not be opened: it had exited).</param>
    /// <param name="mainPid">The main process's pid, to mark it among the members.</param>
    /// <param name="options">The steps.</param>
    /// <param name="mode">Which members the steps reach.</param>
    /// <param name="cancellationToken">Stops the chain: nothing more is sent.</param>
    internal static async Task<ContainerStopResult> RunAsync(IContainerBackend backend, ProcessHandle? main, int? mainPid, StopOptions options, ContainerKillMode mode, CancellationToken cancellationToken)
    {
        var stop = new ContainerStop(backend, main, mainPid, mode, options.Steps.Count - 1);
        StepChain.Outcome outcome = await StepChain.RunAsync(stop, options, StepChain.LongestTimer, cancellationToken, oneBudget: true).ConfigureAwait(false);
        if (!outcome.Exited)
        {
            stop.Settle(); // those that exited during the last step's wait ended with it
        }

        List<ContainerMemberResult> members = stop.Members(options);
        ExitStatus? mainStatus = main?.ExitStatus;
        return outcome.Exited
            ? ContainerStopResult.EndedAfter(outcome.StepIndex, options, outcome.Elapsed, mode, members, mainStatus)
            : ContainerStopResult.NotEnded(outcome.Elapsed, mode, members, mainStatus);
    }

    /// <inheritdoc/>
    public bool Send(int index, StopStep step, CancellationToken cancellationToken)
    {
        // One listing: what the previous step's wait left behind (members gone since ended with
        // it), and the members this step is for.
        IReadOnlyList<int> members = _backend.ProcessIds();
        Settle(members);
        _current = index;
        _mainOnly = false;
        _skipWait = false;
        if (Record(members) == 0)
        {
            return false;
        }

        if (_mode == ContainerKillMode.Mixed && index < _lastStep)
        {
            if (_main is null || !_main.IsAlive)
            {
                _skipWait = true; // no main process to stop politely: the last step goes now
                return true;
            }

            try
            {
                _main.Signal(step.Number);
                _mainOnly = true;
            }
            catch (ProcessLookupException)
            {
                _skipWait = true; // it exited just now
            }

            return true;
        }

        // A step that reaches nobody (they all exited since the listing) is seen ended by its wait.
        Record(_backend.Signal(step.Number, cancellationToken));
        return true;
    }

    /// <inheritdoc/>
    public async Task<bool> WaitForExitAsync(CancellationToken cancellationToken)
    {
        if (_skipWait)
        {
            _skipWait = false;
            return false;
        }

        if (_mainOnly)
        {
            await _main!.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            _mainOnly = false;
            if (Settle() > 0)
            {
                return false; // the main process has gone, its helpers have not: the last step, now
            }

            return true;
        }

        await _backend.WaitUntilEmptyAsync(cancellationToken).ConfigureAwait(false);
        Settle();
        return true;
    }

    /// <summary>Adds the members not seen before; returns how many were listed.</summary>
    private int Record(IReadOnlyList<int> pids)
    {
        foreach (int pid in pids)
        {
            if (_endedAt.TryAdd(pid, null))
            {
                _order.Add(pid);
            }
        }

        return pids.Count;
    }

    /// <summary>Lists the container and marks every member no longer in it as ended by the current step. Returns how many are left.</summary>
    private int Settle() => Settle(_backend.ProcessIds());

    /// <summary>Marks every member not in <paramref name="members"/> (a listing just made) as ended by the current step. Returns how many are left.</summary>
    private int Settle(IReadOnlyList<int> members)
    {
        if (_current < 0)
        {
            return members.Count;
        }

        var left = new HashSet<int>(members);
        foreach (int pid in _order)
        {
            if (_endedAt[pid] is null && !left.Contains(pid))
            {
                _endedAt[pid] = _current;
            }
        }

        return left.Count;
    }

    private List<ContainerMemberResult> Members(StopOptions options) =>
        [.. _order.Select(pid => _endedAt[pid] is int i
            ? new ContainerMemberResult(pid, pid == _mainPid, i, options.Steps[i])
            : new ContainerMemberResult(pid, pid == _mainPid, null, null))];
}
