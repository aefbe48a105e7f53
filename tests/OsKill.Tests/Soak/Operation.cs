using System.Diagnostics;

namespace OsKill.Tests.Soak;

/// <summary>
/// One random operation of one worker: its random source, what it did (for the log), and the
/// checks that every kind of operation shares.
/// </summary>
internal sealed class Operation(string id, Random random, Findings findings)
{
    /// <summary>How long any call may take before the soak calls it a hang.</summary>
    internal static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    /// <summary>How long a promised change (a line printed, a member continued, an exit) may take to show, on a loaded machine.</summary>
    internal static readonly TimeSpan ShowLimit = TimeSpan.FromSeconds(20);

    private readonly List<string> _story = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    internal string Id { get; } = id;

    internal Random Random { get; } = random;

    /// <summary>What happened, so far, in words.</summary>
    internal string Story => string.Join(", ", _story);

    internal TimeSpan Elapsed => _clock.Elapsed;

    internal void Say(string what) => _story.Add(what);

    internal void Violation(string what) => findings.Violation($"{Id} [{Story}]", what);

    internal void Known(string item, string what) => findings.Known(item, $"{Id} [{Story}]", what);

    internal T Pick<T>(params T[] choices) => choices[Random.Next(choices.Length)];

    internal bool Chance(double p) => Random.NextDouble() < p;

    /// <summary>A random delay of 0 to <paramref name="maxMs"/> ms.</summary>
    internal TimeSpan Delay(int maxMs) => TimeSpan.FromMilliseconds(Random.Next(maxMs + 1));

    /// <summary>
    /// Runs <paramref name="call"/> under <paramref name="plan"/> and returns its result or exception;
    /// a call still running after <see cref="HangLimit"/> is a violation (and <c>Hung</c>).
    /// </summary>
    internal async Task<Outcome<T>> RunAsync<T>(VetoPlan plan, Func<Task<T>> call)
    {
        VetoPlan.Use(plan);
        Task<T> task;
        try
        {
            task = call();
        }
        catch (Exception e)
        {
            return new Outcome<T>(default, e, false);
        }
        finally
        {
            VetoPlan.Use(null);
        }

        if (await Task.WhenAny(task, Task.Delay(HangLimit)) != task)
        {
            Violation($"the call did not end within {HangLimit.TotalSeconds} s");
            return new Outcome<T>(default, null, true);
        }

        try
        {
            return new Outcome<T>(await task, null, false);
        }
        catch (Exception e)
        {
            return new Outcome<T>(default, e, false);
        }
    }

    /// <summary>
    /// Runs a call on <paramref name="pid"/> (through a handle opened for it when
    /// <paramref name="throughHandle"/>) under <paramref name="plan"/>, cancelling its token at
    /// <paramref name="cancelAt"/> and disposing the handle at <paramref name="disposeAt"/> (null:
    /// never), and notes whether the pidfd was still open when Dispose returned.
    /// </summary>
    internal async Task<Interfered<T>> RunInterferedAsync<T>(int pid, VetoPlan plan, bool throughHandle, TimeSpan? cancelAt, TimeSpan? disposeAt, Func<ProcessHandle?, CancellationToken, Task<T>> call)
    {
        using var cts = new CancellationTokenSource();
        using ProcessHandle? handle = throughHandle ? ProcessHandle.Open(pid) : null;
        int fd = handle is null ? -1 : ((SafePidfdHandle)handle.SafeHandle).FileDescriptor;
        bool openAfterDispose = false;
        Task<Outcome<T>> running = RunAsync(plan, () => call(handle, cts.Token));
        await Interfere(cancelAt, throughHandle ? disposeAt : null, cts, () =>
        {
            handle!.Dispose();
            openAfterDispose = NamesPidfdOf(fd, pid);
        });
        return new Interfered<T>(await running, cts.IsCancellationRequested, openAfterDispose, fd);
    }

    /// <summary>Cancels <paramref name="cts"/> and calls <paramref name="dispose"/> at their times (null: never), in time order.</summary>
    private static async Task Interfere(TimeSpan? cancelAt, TimeSpan? disposeAt, CancellationTokenSource cts, Action dispose)
    {
        DateTime started = DateTime.UtcNow;
        foreach ((TimeSpan at, Action act) in new (TimeSpan?, Action)[] { (cancelAt, cts.Cancel), (disposeAt, dispose) }
            .Where(p => p.Item1 is not null)
            .Select(p => (p.Item1!.Value, p.Item2))
            .OrderBy(p => p.Value))
        {
            TimeSpan wait = at - (DateTime.UtcNow - started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            act();
        }
    }

    /// <summary>Checks the outcome against the docs and the plan: a documented exception only, the veto passed on unchanged, no success after a veto, nothing sent to a process outside the tree.</summary>
    internal void Judge<T>(Api api, Outcome<T> outcome, VetoPlan plan, bool cancelled = false, bool disposed = false, bool rootGone = false)
    {
        Say(outcome.Error is Exception e ? $"threw {Documented.Describe(e)}" : outcome.Hung ? "hung" : $"returned {outcome.Value}");
        if (outcome.Error is Exception error && Documented.Judge(api, error, plan, cancelled, disposed, rootGone) is string wrong)
        {
            Violation(wrong);
        }

        if (outcome.Error is null && !outcome.Hung && plan.Fired is not null)
        {
            Violation($"the hook vetoed an event ({plan.Fired.Message}), yet {api} reported success");
        }

        foreach (string foreign in plan.Foreign)
        {
            Known("foreign", $"{api} raised {foreign} for a process outside the tree it was asked for");
        }
    }

    /// <summary>Members of <paramref name="target"/> left stopped (T) after a call that promises to continue what it stopped; each gets <see cref="ShowLimit"/> to leave the state.</summary>
    internal async Task CheckNothingLeftStoppedAsync(Target target, string after)
    {
        DateTime deadline = DateTime.UtcNow + ShowLimit;
        List<Trees.Seen> stopped;
        while ((stopped = target.Alive().Where(s => s.State is 'T' or 't').ToList()).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        if (stopped.Count > 0)
        {
            Violation($"{after}, {stopped.Count} member(s) of the tree are still stopped: {string.Join(", ", stopped.Select(s => s.Pid))}");
        }
    }

    /// <summary>Every member seen before must still be alive: nothing that kills was sent.</summary>
    internal void CheckAllStillAlive(IEnumerable<Trees.Seen> before, string after)
    {
        var dead = before.Where(s => !Trees.StillAlive(s)).Select(s => s.Pid).ToList();
        if (dead.Count > 0)
        {
            Violation($"{after}, member(s) {string.Join(", ", dead)} died, though nothing that kills was sent");
        }
    }

    /// <summary>
    /// Sends the trapper SIGWINCH, outside any plan, and waits for its line; no line for
    /// <paramref name="vetoed"/> may come before it (bash runs pending traps in signal-number
    /// order, and SIGWINCH is above every trapped signal), and the trapper must be alive.
    /// </summary>
    internal async Task FenceAsync(Target trapper, int vetoed)
    {
        Os.Kill(trapper.Pid, Signal.SIGWINCH);
        if (!await trapper.WaitForLineAsync("got WINCH", ShowLimit))
        {
            Violation($"the fence (SIGWINCH) got no answer within {ShowLimit.TotalSeconds} s: the trapper is gone or stopped (state {ProcState.State(trapper.Pid)})");
            return;
        }

        string? name = Signal.Name(vetoed);
        if (trapper.Lines.TakeWhile(l => l != "got WINCH").Contains($"got {name}"))
        {
            Violation($"signal {vetoed} (SIG{name}) reached the trapper though the hook vetoed it");
        }
    }

    /// <summary>Whether descriptor <paramref name="fd"/> of this process is a pidfd for <paramref name="pid"/>.</summary>
    internal static bool NamesPidfdOf(int fd, int pid) => Resources.PidfdTarget(fd) == pid;
}

/// <summary>How a call ended: its value, or its exception, or still running at the hang limit.</summary>
internal readonly record struct Outcome<T>(T? Value, Exception? Error, bool Hung)
{
    internal bool Succeeded => Error is null && !Hung;
}

/// <summary>How a call that was cancelled or disposed part-way ended: its outcome, whether its token was cancelled, and whether its pidfd (descriptor <c>Fd</c>) was still open when Dispose returned.</summary>
internal sealed record Interfered<T>(Outcome<T> Outcome, bool Cancelled, bool OpenAfterDispose, int Fd);
