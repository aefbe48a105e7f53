namespace OsKill.Tests.Soak;

/// <summary>
/// The soak's tree operations: a kill (ProcessHandle.KillTreeAsync, ProcessTree.KillAsync by pid
/// or pidfd) or a stop (ProcessHandle.StopTreeAsync, ProcessTree.StopAsync) of a bash tree, a
/// forking tree or a trapper, sometimes vetoed, cancelled or disposed part-way.
/// </summary>
internal static class TreeOps
{
    private static readonly int[] Terminating = [Signal.SIGKILL, Signal.SIGTERM, Signal.SIGUSR1, Signal.SIGHUP];

    /// <summary>A random tree to act on.</summary>
    internal static Task<Target> RandomTargetAsync(Operation op, Func<System.Diagnostics.ProcessStartInfo, System.Diagnostics.Process>? start = null) => op.Random.Next(5) switch
    {
        0 => Target.TrapperAsync(start),
        1 or 2 => Target.BashTreeAsync(op.Random.Next(1, 4), op.Random.Next(1, 3), rootTrapsTerm: op.Chance(0.3), start),
        _ => Target.ForkerAsync(op.Random.Next(3, 16), op.Random.Next(1, 6), op.Pick(0, 5, 20), start),
    };

    /// <summary>A tree kill: after success no member is alive; after anything else no member is left stopped, and after a veto or cancellation before any SIGKILL nobody died.</summary>
    internal static async Task KillAsync(Operation op)
    {
        await using Target target = await RandomTargetAsync(op);
        Api api = op.Pick(Api.KillTree, Api.TreeKillPid, Api.TreeKillPidfd);
        var plan = new VetoPlan(target.Marker, op.Chance(0.3) ? op.Pick(Signal.SIGSTOP, Signal.SIGKILL) : null, op.Random.Next(1, 5));
        TimeSpan? cancelAt = op.Chance(0.15) ? op.Delay(50) : null;
        TimeSpan? disposeAt = api == Api.KillTree && op.Chance(0.25) ? op.Delay(50) : null;
        op.Say($"{api} on {target}, {plan}, cancel {SingleProcessOps.At(cancelAt)}, dispose {SingleProcessOps.At(disposeAt)}");

        List<Trees.Seen> before = target.Alive();
        using SafePidfdHandle? pidfd = api == Api.TreeKillPidfd ? Os.PidfdOpen(target.Pid) : null;
        Interfered<TreeKillResult> call = await op.RunInterferedAsync(target.Pid, plan, api == Api.KillTree, cancelAt, disposeAt, (handle, token) => api switch
        {
            Api.KillTree => handle!.KillTreeAsync(token),
            Api.TreeKillPid => ProcessTree.KillAsync(target.Pid, token),
            _ => PidfdTree.KillAsync(pidfd!, token),
        });
        Outcome<TreeKillResult> outcome = call.Outcome;
        op.Judge(api, outcome, plan, call.Cancelled, disposeAt is not null);
        await CheckAfterAsync(op, target, before, outcome.Succeeded, exited: outcome.Succeeded, plan, call);
    }

    /// <summary>A tree stop: as a kill when it says the tree exited; a chain that ends with SIGKILL always ends it; Killed never exceeds Members.</summary>
    internal static async Task StopAsync(Operation op)
    {
        await using Target target = await RandomTargetAsync(op);
        Api api = op.Pick(Api.StopTree, Api.TreeStopPid);
        var grace = TimeSpan.FromMilliseconds(op.Pick(0, 100, 500));
        StopOptions options = op.Pick(
            new StopOptions([StopStep.SendSignal(Signal.SIGTERM, grace), StopStep.SendSignal(Signal.SIGKILL, Operation.ShowLimit)]),
            new StopOptions([StopStep.SendSignal(Signal.SIGKILL, TimeSpan.Zero), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.Zero)]),
            new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(300))]),
            new StopOptions([StopStep.SendSignal(Signal.SIGUSR1, TimeSpan.FromMilliseconds(100)), StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(100)), StopStep.SendSignal(Signal.SIGKILL, Operation.ShowLimit)]));
        int? vetoed = op.Chance(0.3) ? op.Pick(Signal.SIGSTOP, options.Steps[op.Random.Next(options.Steps.Count)].Number) : null;
        var plan = new VetoPlan(target.Marker, vetoed, op.Random.Next(1, 5));
        TimeSpan? cancelAt = op.Chance(0.15) ? op.Delay(300) : null;
        TimeSpan? disposeAt = api == Api.StopTree && op.Chance(0.25) ? op.Delay(300) : null;
        op.Say($"{api} [{SingleProcessOps.Steps(options)}] on {target}, {plan}, cancel {SingleProcessOps.At(cancelAt)}, dispose {SingleProcessOps.At(disposeAt)}");

        List<Trees.Seen> before = target.Alive();
        Interfered<TreeStopResult> call = await op.RunInterferedAsync(target.Pid, plan, api == Api.StopTree, cancelAt, disposeAt, (handle, token) => api == Api.StopTree
            ? handle!.StopTreeAsync(options, token)
            : ProcessTree.StopAsync(target.Pid, options, token));
        Outcome<TreeStopResult> outcome = call.Outcome;
        op.Judge(api, outcome, plan, call.Cancelled, disposeAt is not null);

        if (outcome.Value is TreeStopResult result)
        {
            if (!result.Exited && options.Steps[^1] is { Signal: 9, Timeout.TotalSeconds: >= 1 })
            {
                op.Violation($"a chain that ends with SIGKILL (and time to wait for it) did not end the tree: {result}");
            }

            if (result.KilledCount > result.MemberCount)
            {
                op.Known("6", $"TreeStopResult.KilledCount {result.KilledCount} > MemberCount {result.MemberCount} ([{SingleProcessOps.Steps(options)}])");
            }
        }

        bool exited = outcome.Value?.Exited ?? false;
        await CheckAfterAsync(op, target, before, outcome.Succeeded, exited, plan, call);
    }

    /// <summary>
    /// What every tree call leaves: no survivor when it says the tree exited; no member stopped;
    /// nobody dead when it ended before anything that kills was sent (a veto, a cancellation
    /// during the freeze) in a tree whose members do not exit on their own; the pidfd closed
    /// when Dispose returned (issue 17 item 5).
    /// </summary>
    private static async Task CheckAfterAsync<T>(Operation op, Target target, List<Trees.Seen> before, bool succeeded, bool exited, VetoPlan plan, Interfered<T> call)
    {
        if (exited)
        {
            List<Trees.Seen> survivors = target.Alive();
            if (survivors.Count > 0)
            {
                op.Violation($"the call said the tree ended, but {survivors.Count} member(s) are alive: {string.Join(", ", survivors.Select(s => $"{s.Pid} ({s.State})"))}");
            }
        }

        await op.CheckNothingLeftStoppedAsync(target, succeeded ? "after the call" : "after the call failed");
        if (plan.Fired is not null && target.Stable && !SentAnythingThatKills(plan))
        {
            op.CheckAllStillAlive(before, "after a veto before any signal that kills");
        }

        if (call.OpenAfterDispose)
        {
            op.Known("5", $"pidfd {call.Fd} of pid {target.Pid} was still open when Dispose returned during the tree call");
        }
    }

    /// <summary>Whether any event before the veto was for a signal that ends a process.</summary>
    private static bool SentAnythingThatKills(VetoPlan plan) =>
        plan.BeforeVeto.Any(e => Terminating.Any(sig => e.EndsWith($":{sig}", StringComparison.Ordinal)));
}
