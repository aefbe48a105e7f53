namespace OsKill.Tests.Soak;

/// <summary>The soak's operations on one process: a signal (Os.Kill, or through a handle), waits with cancellation and Dispose, and a graceful stop.</summary>
internal static class SingleProcessOps
{
    /// <summary>Os.Kill by pid or pidfd, or ProcessHandle.Signal, sometimes vetoed; a signal sent shows in the trapper, a vetoed one never does.</summary>
    internal static async Task SignalAsync(Operation op)
    {
        await using Target trapper = await Target.TrapperAsync();
        int sig = op.Pick(0, Signal.SIGUSR1, Signal.SIGTERM, Signal.SIGHUP, Signal.SIGKILL);
        string how = op.Pick("Os.Kill(pid)", "Os.Kill(pidfd)", "ProcessHandle.Signal");
        var plan = new VetoPlan(trapper.Marker, op.Chance(0.35) ? sig : null, 1);
        op.Say($"{how} {sig} to {trapper}, {plan}");

        Api api = how switch
        {
            "Os.Kill(pid)" => Api.OsKillPid,
            "Os.Kill(pidfd)" => Api.OsKillHandle,
            _ => Api.Signal,
        };
        Outcome<bool> outcome = await op.RunAsync(plan, () =>
        {
            switch (api)
            {
                case Api.OsKillPid:
                    Os.Kill(trapper.Pid, sig);
                    break;
                case Api.OsKillHandle:
                    using (SafePidfdHandle pidfd = Os.PidfdOpen(trapper.Pid))
                    {
                        Os.Kill(pidfd, sig);
                    }

                    break;
                default:
                    using (var handle = ProcessHandle.Open(trapper.Pid))
                    {
                        handle.Signal(sig);
                    }

                    break;
            }

            return Task.FromResult(true);
        });
        op.Judge(api, outcome, plan);

        if (plan.Fired is not null)
        {
            await op.FenceAsync(trapper, sig);
        }
        else if (outcome.Succeeded && sig == Signal.SIGKILL)
        {
            using var exit = new CancellationTokenSource(Operation.ShowLimit);
            try
            {
                await trapper.Root.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                op.Violation($"SIGKILL was sent, but the trapper is still alive after {Operation.ShowLimit.TotalSeconds} s");
            }
        }
        else if (outcome.Succeeded && sig != 0 && !await trapper.WaitForLineAsync($"got {Signal.Name(sig)}", Operation.ShowLimit))
        {
            op.Violation($"signal {sig} was sent, but the trapper never printed \"got {Signal.Name(sig)}\"");
        }
    }

    /// <summary>
    /// Several WaitForExitAsync calls on one handle, some with tokens cancelled at random times;
    /// then the process is killed, or the handle disposed, or neither. Each wait must end as its
    /// circumstances say: completed only after the exit, cancelled only with its token, disposed
    /// only by Dispose; after Dispose the pidfd is closed.
    /// </summary>
    internal static async Task WaitsAsync(Operation op)
    {
        await using Target trapper = await Target.TrapperAsync();
        Trees.Seen root = trapper.Alive().Single(s => s.Pid == trapper.Pid);
        bool fromProcess = op.Chance(0.5);
        using ProcessHandle handle = fromProcess ? ProcessHandle.FromProcess(trapper.Root) : ProcessHandle.Open(trapper.Pid);
        int fd = ((SafePidfdHandle)handle.SafeHandle).FileDescriptor;
        string end = op.Pick("kill", "dispose", "none");
        int count = op.Random.Next(1, 5);
        var tokens = new CancellationTokenSource?[count];
        using var disposeTokens = new Disposer(tokens);
        var waits = new Task[count];
        var cancels = new List<Task>();
        for (int i = 0; i < count; i++)
        {
            tokens[i] = op.Chance(0.5) ? new CancellationTokenSource() : null;
            waits[i] = tokens[i] is null ? handle.WaitForExitAsync() : handle.WaitForExitAsync(tokens[i]!.Token);
            if (tokens[i] is CancellationTokenSource cts && op.Chance(0.6))
            {
                TimeSpan at = op.Delay(300);
                cancels.Add(Task.Delay(at).ContinueWith(_ => cts.Cancel(), TaskScheduler.Default));
            }
        }

        op.Say($"{count} waits on {trapper} ({(fromProcess ? "FromProcess" : "Open")}), {cancels.Count} cancelled, then {end}");
        await Task.Delay(op.Delay(300));
        bool disposed = false;
        bool openAfterDispose = false;
        switch (end)
        {
            case "kill":
                Os.Kill(trapper.Pid, Signal.SIGKILL);
                break;
            case "dispose":
                handle.Dispose();
                disposed = true;
                openAfterDispose = Operation.NamesPidfdOf(fd, trapper.Pid);
                break;
        }

        await Task.WhenAll(cancels);
        if (end == "none")
        {
            // The waits without a cancelled token are still pending: Dispose must end them.
            await Task.Delay(op.Delay(100));
            handle.Dispose();
            disposed = true;
            openAfterDispose = Operation.NamesPidfdOf(fd, trapper.Pid);
        }

        for (int i = 0; i < count; i++)
        {
            Task wait = waits[i];
            if (!await Finished(wait))
            {
                op.Violation($"wait {i} was still pending {Operation.ShowLimit.TotalSeconds} s after the {end}");
                continue;
            }

            bool cancelled = tokens[i]?.IsCancellationRequested ?? false;
            if (wait.IsCompletedSuccessfully && Trees.StillAlive(root))
            {
                op.Violation($"wait {i} completed while the process is still alive");
            }
            else if (wait.IsCanceled && !cancelled)
            {
                op.Violation($"wait {i} was cancelled, but its token never was");
            }
            else if (wait.Exception?.InnerException is Exception error &&
                Documented.Judge(Api.Wait, error, new VetoPlan(null, null, 1), cancelled, disposed) is string wrong)
            {
                op.Violation($"wait {i}: {wrong}");
            }
        }

        if (openAfterDispose)
        {
            op.Violation($"pidfd {fd} of pid {trapper.Pid} was still open when Dispose returned, with only waits pending");
        }
    }

    /// <summary>
    /// ProcessHandle.StopAsync with a random chain of steps, sometimes vetoed, cancelled or
    /// disposed part-way. A chain that ends with SIGKILL ends the process; a vetoed first step
    /// sends nothing; after Dispose the pidfd is closed.
    /// </summary>
    internal static async Task StopAsync(Operation op)
    {
        bool trapper = op.Chance(0.5);
        await using Target target = trapper ? await Target.TrapperAsync() : await Target.BashTreeAsync(1, 1, rootTrapsTerm: false);
        Trees.Seen root = target.Alive().Single(s => s.Pid == target.Pid);
        var grace = TimeSpan.FromMilliseconds(op.Pick(0, 50, 300));
        StopOptions options = op.Pick(
            new StopOptions([StopStep.SendSignal(Signal.SIGTERM, grace), StopStep.SendSignal(Signal.SIGKILL, Operation.ShowLimit)]),
            new StopOptions([StopStep.SendSignal(Signal.SIGUSR1, grace), StopStep.SendSignal(Signal.SIGTERM, grace), StopStep.SendSignal(Signal.SIGKILL, Operation.ShowLimit)]),
            new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(300))]));
        int? vetoed = op.Chance(0.3) ? options.Steps[op.Random.Next(options.Steps.Count)].Number : null;
        var plan = new VetoPlan(target.Marker, vetoed, 1);
        TimeSpan? cancelAt = op.Chance(0.2) ? op.Delay(300) : null;
        TimeSpan? disposeAt = op.Chance(0.15) ? op.Delay(300) : null;
        op.Say($"StopAsync [{Steps(options)}] on {target}, {plan}, cancel {At(cancelAt)}, dispose {At(disposeAt)}");

        Interfered<StopResult> call = await op.RunInterferedAsync(target.Pid, plan, throughHandle: true, cancelAt, disposeAt, (handle, token) => handle!.StopAsync(options, token));
        Outcome<StopResult> outcome = call.Outcome;
        op.Judge(Api.Stop, outcome, plan, call.Cancelled, disposeAt is not null);

        if (outcome.Value is StopResult result)
        {
            bool alive = Trees.StillAlive(root);
            if (result.Exited && alive)
            {
                op.Violation("StopAsync said the process exited, but it is alive");
            }
            else if (!result.Exited && options.Steps[^1] is { Signal: 9, Timeout.TotalSeconds: >= 1 })
            {
                op.Violation("a chain that ends with SIGKILL did not end the process");
            }
        }

        if (plan.Fired is not null && plan.Signal == options.Steps[0].Number)
        {
            op.CheckAllStillAlive([root], "after a veto of the first step");
            if (trapper)
            {
                await op.FenceAsync(target, options.Steps[0].Number);
            }
        }

        if (call.OpenAfterDispose)
        {
            op.Violation($"pidfd {call.Fd} of pid {target.Pid} was still open when Dispose returned during StopAsync");
        }
    }

    internal static string Steps(StopOptions options) => string.Join(" ", options.Steps.Select(s => $"{Signal.Name(s.Number)}:{s.Timeout.TotalMilliseconds:0}"));

    internal static string At(TimeSpan? at) => at is TimeSpan t ? $"{t.TotalMilliseconds:0} ms" : "never";

    private static async Task<bool> Finished(Task task)
    {
        if (!task.IsCompleted)
        {
            await Task.WhenAny(task, Task.Delay(Operation.ShowLimit));
        }

        return task.IsCompleted;
    }

    /// <summary>Disposes the token sources that were made, whichever they are, however the operation ends.</summary>
    private sealed class Disposer(CancellationTokenSource?[] sources) : IDisposable
    {
        public void Dispose()
        {
            foreach (CancellationTokenSource? source in sources)
            {
                source?.Dispose();
            }
        }
    }
}
