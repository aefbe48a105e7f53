using System.Diagnostics;
using System.Globalization;

namespace OsKill.WindowsTests;

/// <summary>
/// What the tree and container operations must never do: send without an audit event (or after a
/// veto), kill at once for a huge step timeout, take in or kill the caller, outlive their owner, or
/// leave a wait on a handle that was closed.
/// </summary>
internal static partial class TreeCases
{
    /// <summary>The policy that the driver's one tree hook passes each <c>os.kill (int pid, int sig)</c> to; null: none.</summary>
    private static Action<int, int>? s_killPolicy;
    private static int s_treeHookAdded;

    private static void RunSafetyCases(Harness h)
    {
        Run(h, "tree-audit", TreeAudit, Long);
        Run(h, "tree-audit-veto", TreeAuditVeto, Long);
        Run(h, "container-audit-veto", ContainerAuditVeto, Long);
        Run(h, "container-refuses-caller", ContainerRefusesCaller, Long);
        Run(h, "tree-stop-huge-timeouts", TreeStopHugeTimeouts, TimeSpan.FromSeconds(60));
        Run(h, "container-owner-killed", () => OwnerKilled(contain: true), Long);
        Run(h, "owner-killed-no-container", () => OwnerKilled(contain: false), Long);
        Run(h, "wait-on-disposed-handle", WaitOnDisposedHandle, Long);
    }

    /// <summary>
    /// Sets the policy of the driver's tree hook, added at the first call (hooks cannot be removed,
    /// so there is one, and each case sets, then clears, what it does).
    /// </summary>
    private static void KillPolicy(Action<int, int>? policy)
    {
        if (Interlocked.Exchange(ref s_treeHookAdded, 1) == 0)
        {
            Check.True(
                Audit.AddHook((evt, args) =>
                {
                    if (evt == "os.kill" && args is [int pid, int sig])
                    {
                        Volatile.Read(ref s_killPolicy)?.Invoke(pid, sig);
                    }
                }),
                "Audit.AddHook returned false");
        }

        Volatile.Write(ref s_killPolicy, policy);
    }

    /// <summary>
    /// KillTreeAsync raises os.kill (pid, -1) once for every member it ends, and every one of them
    /// before the first TerminateProcess: when the hook runs, every member is still alive.
    /// </summary>
    private static void TreeAudit()
    {
        using var root = Child.Start("tree", false, "1", "2");
        List<int> pids = WaitTree(root);
        using var members = new Members(pids);
        using var handle = ProcessHandle.FromProcess(root.Process);

        (TreeKillResult r, List<(int Pid, int Sig, int Alive)> events) = Recording(members, () => handle.KillTreeAsync().GetAwaiter().GetResult());

        Info("tree-audit", $"{r}; events {Fmt(events.Select(e => (e.Pid, e.Sig)))}");
        Check.Equal(Sorted(pids), Sorted(r.KilledPids), "the killed pids");
        CheckKillEvents(r.KilledPids, events, pids.Count, "KillTreeAsync");
    }

    /// <summary>Runs <paramref name="call"/> with a hook that records each os.kill and how many of <paramref name="members"/> were alive when it was raised.</summary>
    private static (T Result, List<(int Pid, int Sig, int Alive)> Events) Recording<T>(Members members, Func<T> call)
    {
        var events = new List<(int Pid, int Sig, int Alive)>();
        KillPolicy((pid, sig) =>
        {
            int alive = members.Alive().Count;
            lock (events)
            {
                events.Add((pid, sig, alive));
            }
        });
        try
        {
            T result = call();
            lock (events)
            {
                return (result, [.. events]);
            }
        }
        finally
        {
            KillPolicy(null);
        }
    }

    /// <summary>One event (pid, -1) for each pid killed, each raised while all <paramref name="count"/> members were alive (before the first kill).</summary>
    private static void CheckKillEvents(IEnumerable<int> killed, List<(int Pid, int Sig, int Alive)> events, int count, string what)
    {
        Check.Equal(Fmt(killed.Order().Select(pid => (pid, -1))), Fmt(events.OrderBy(e => e.Pid).Select(e => (e.Pid, e.Sig))), $"the os.kill events of {what} (one per process killed, with -1, the exit code)");
        Check.Equal(string.Empty, Fmt(events.Where(e => e.Alive != count).Select(e => e.Pid)), $"events of {what} raised after a member had already been ended (all must come before the first kill)");
    }

    /// <summary>
    /// A hook that vetoes one member's event stops the whole operation: nothing is ended, nothing is
    /// left suspended (every member keeps beating), and the hook's exception reaches the caller
    /// unchanged. For the kill, an exit-code stop step, and a Ctrl+C stop step.
    /// </summary>
    private static void TreeAuditVeto()
    {
        string beat = Path.Combine(Child.WorkDir, $"beat-{Guid.NewGuid():N}");
        using var root = Child.StartHidden("tree", "1", "2", "ctrl", "beat=" + beat);
        List<int> pids = WaitTree(root);
        using var members = new Members(pids);
        using var handle = ProcessHandle.Open(root.Pid);
        int leaf = pids[^1];

        List<(int Pid, int Sig)> seen = Vetoed("KillTreeAsync", leaf, () => handle.KillTreeAsync().GetAwaiter().GetResult());
        Check.True(seen.Count >= 2 && seen[^1] == (leaf, -1), $"the events of the vetoed kill: expected others, then ({leaf}, -1) last; got {Fmt(seen)}");
        StillRunning(members, pids, beat, "the vetoed KillTreeAsync");

        seen = Vetoed("StopTreeAsync (exit code 77)", leaf, () => handle.StopTreeAsync(new StopOptions([StopStep.Terminate(77, Seen)])).GetAwaiter().GetResult());
        Check.True(seen.Count >= 2 && seen.All(e => e.Sig == 77) && seen[^1].Pid == leaf, $"the events of the vetoed exit-code stop: expected (pid, 77), ({leaf}, 77) last; got {Fmt(seen)}");
        StillRunning(members, pids, beat, "the vetoed exit-code stop");

        seen = Vetoed("StopTreeAsync (Ctrl+C)", root.Pid, () => handle.StopTreeAsync(new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, Seen)])).GetAwaiter().GetResult());
        Check.Equal($"({root.Pid},0)", Fmt(seen), "the events of the vetoed Ctrl+C stop (one, for the console of the root)");
        Thread.Sleep(1000);
        StillRunning(members, pids, beat, "the vetoed Ctrl+C stop (its members exit 130 on Ctrl+C)");
    }

    /// <summary>Runs <paramref name="call"/> with a hook that vetoes the first os.kill for <paramref name="vetoPid"/>; checks that the hook's own exception comes out, and returns the events seen.</summary>
    private static List<(int Pid, int Sig)> Vetoed(string what, int vetoPid, Action call)
    {
        var seen = new List<(int Pid, int Sig)>();
        var veto = new AuditVetoException($"vetoed: {what}, pid {vetoPid}");
        KillPolicy((pid, sig) =>
        {
            lock (seen)
            {
                seen.Add((pid, sig));
            }

            if (pid == vetoPid)
            {
                throw veto;
            }
        });
        try
        {
            AuditVetoException e = Check.Throws<AuditVetoException>(call, $"{what} with a hook that vetoes pid {vetoPid}");
            Check.True(ReferenceEquals(e, veto), $"{what}: the hook's exception did not reach the caller unchanged: {e}");
        }
        finally
        {
            KillPolicy(null);
        }

        Info("veto", $"{what}: events {Fmt(seen)}");
        lock (seen)
        {
            return [.. seen];
        }
    }

    /// <summary>Every member is alive and beating: not ended, not left suspended.</summary>
    private static void StillRunning(Members members, List<int> pids, string beat, string after)
    {
        Thread.Sleep(300);
        Check.Equal(Sorted(pids), Sorted(members.Alive()), $"members alive after {after}");
        var before = pids.ToDictionary(pid => pid, pid => LastBeat(beat, pid));
        Thread.Sleep(700);
        int[] still = [.. pids.Where(pid => LastBeat(beat, pid) <= before[pid])];
        Check.Equal(string.Empty, Fmt(still), $"members that stopped beating after {after} (left suspended)");
    }

    private static int LastBeat(string prefix, int pid) =>
        ChildModes.ReadLines(ChildModes.BeatFile(prefix, pid)).Where(l => l.StartsWith("beat ", StringComparison.Ordinal)).Select(l => int.Parse(l[5..], CultureInfo.InvariantCulture)).LastOrDefault(-1);

    /// <summary>
    /// ProcessContainer.KillAsync and Dispose raise os.kill (pid, -1) for every member before
    /// TerminateJobObject; a veto kills nobody, not even through the close of the job in Dispose.
    /// </summary>
    private static void ContainerAuditVeto()
    {
        var started = new List<Process>();
        try
        {
            using (var container = new ProcessContainer())
            {
                started.Add(StartSleeping(container));
                started.Add(StartSleeping(container));
                int[] pids = [.. started.Select(p => p.Id)];
                using var members = new Members(pids);
                IReadOnlyList<int> listed = container.GetProcessIds();
                Check.Equal(Sorted(pids), Sorted(listed), "the container's pids");

                List<(int Pid, int Sig)> seen = Vetoed("ProcessContainer.KillAsync", listed[^1], () => container.KillAsync().GetAwaiter().GetResult());
                Check.Equal(Fmt(listed.Select(pid => (pid, -1))), Fmt(seen), "the events of the vetoed container kill (every member listed, the vetoed one last)");
                Thread.Sleep(300);
                Check.Equal(Sorted(pids), Sorted(members.Alive()), "members alive after the vetoed container kill");

                (TreeKillResult r, List<(int Pid, int Sig, int Alive)> events) = Recording(members, () => container.KillAsync().GetAwaiter().GetResult());
                Check.Equal(Sorted(pids), Sorted(r.KilledPids), "the pids the container killed");
                CheckKillEvents(pids, events, pids.Length, "ProcessContainer.KillAsync");
                Check.Equal<uint?>(0xFFFFFFFF, members.ExitCode(pids[0]), "exit code of a member");
            }

            // DisposeAsync kills what is left: vetoed, it kills nobody, the closed job does not
            // either, and the hook's exception comes out.
            var disposed = new ProcessContainer();
            Process last = StartSleeping(disposed);
            started.Add(last);
            using var survivor = new Members([last.Id]);
            List<(int Pid, int Sig)> atDispose = Vetoed("ProcessContainer.DisposeAsync", last.Id, () => disposed.DisposeAsync().AsTask().GetAwaiter().GetResult());
            Check.Equal($"({last.Id},-1)", Fmt(atDispose), "the events of the vetoed DisposeAsync");
            Thread.Sleep(500);
            Check.Equal(last.Id.ToString(CultureInfo.InvariantCulture), Fmt(survivor.Alive()), "the member alive after the vetoed DisposeAsync closed the job");
            _ = Check.Throws<ObjectDisposedException>(() => disposed.GetProcessIds(), "GetProcessIds after the vetoed DisposeAsync");

            // Dispose never throws: vetoed, it kills nobody either (it reports the veto to the
            // event source instead).
            var quiet = new ProcessContainer();
            Process spared = StartSleeping(quiet);
            started.Add(spared);
            using var spare = new Members([spared.Id]);
            var atQuietDispose = new List<(int Pid, int Sig)>();
            KillPolicy((pid, sig) =>
            {
                lock (atQuietDispose)
                {
                    atQuietDispose.Add((pid, sig));
                }

                throw new AuditVetoException($"vetoed: ProcessContainer.Dispose, pid {pid}");
            });
            try
            {
                quiet.Dispose();
            }
            finally
            {
                KillPolicy(null);
            }

            Check.Equal($"({spared.Id},-1)", Fmt(atQuietDispose), "the events of the vetoed Dispose");
            Thread.Sleep(500);
            Check.Equal(spared.Id.ToString(CultureInfo.InvariantCulture), Fmt(spare.Alive()), "the member alive after the vetoed Dispose closed the job");
            _ = Check.Throws<ObjectDisposedException>(() => quiet.GetProcessIds(), "GetProcessIds after the vetoed Dispose");
        }
        finally
        {
            foreach (Process p in started)
            {
                p.Dispose();
            }
        }
    }

    private static Process StartSleeping(ProcessContainer container)
    {
        string report = Child.NewReportFile("sleep-contained");
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        psi.ArgumentList.Add("sleep");
        psi.ArgumentList.Add(report);
        Process p = container.Start(psi);
        if (ChildModes.WaitForLine(report, $"ready {p.Id}", TreeReady) is null)
        {
            throw new TestFailure($"the contained sleeper {p.Id} never became ready");
        }

        return p;
    }

    /// <summary>
    /// A process that puts itself into its own container, by pid and by handle, is refused before
    /// anything is done; taken in, the container's Dispose would end it (and a job cannot be left).
    /// </summary>
    private static void ContainerRefusesCaller()
    {
        using var c = Child.Start("container-add-self");
        uint code = c.WaitExitOrFail(TreeReady);
        string report = c.Report;
        Info("container-refuses-caller", report);
        Check.True(report.Contains("refused pid: ArgumentException", StringComparison.Ordinal), $"ProcessContainer.Add(own pid) was not refused with ArgumentException: [{report}]");
        Check.True(report.Contains("refused handle: ArgumentException", StringComparison.Ordinal), $"ProcessContainer.Add(Process.GetCurrentProcess()) was not refused with ArgumentException: [{report}]");
        Check.True(ChildModes.ReadLines(c.ReportFile).Contains("members:"), $"the container is not empty: [{report}]");
        Check.Equal(0u, code, $"exit code of {c.Description} (0xFFFFFFFF: its container's Dispose killed it); report [{report}]");
    }

    /// <summary>
    /// A step timeout of TimeSpan.MaxValue, 50 days or InfiniteTimeSpan means "wait that long": a
    /// tree that ignores Ctrl+C is still waited for (until the token cancels), never killed at once.
    /// A forced step with TimeSpan.MaxValue returns as soon as the tree has exited.
    /// </summary>
    private static void TreeStopHugeTimeouts()
    {
        using var root = Child.StartOnNewConsole("tree", "1", "1", "ignore");
        List<int> pids = WaitTree(root);
        using var members = new Members(pids);
        using var handle = ProcessHandle.Open(root.Pid);
        var cancelAfter = TimeSpan.FromSeconds(2);
        (string Name, TimeSpan Timeout)[] limits = [("TimeSpan.MaxValue", TimeSpan.MaxValue), ("50 days", TimeSpan.FromDays(50)), ("Timeout.InfiniteTimeSpan", Timeout.InfiniteTimeSpan)];
        foreach ((string name, TimeSpan limit) in limits)
        {
            using var cts = new CancellationTokenSource(cancelAfter);
            var options = new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, limit), StopStep.Terminate(77, Seen)]);
            var clock = Stopwatch.StartNew();
            TreeStopResult? r = null;
            try
            {
                r = handle.StopTreeAsync(options, cts.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
            }

            Info("tree-stop-huge-timeouts", $"{name}: {(r is null ? "cancelled" : r.ToString())} after {clock.Elapsed.TotalMilliseconds:0} ms");
            Check.True(r is null, $"StopTreeAsync with a Ctrl+C step of {name}, which the tree ignores, returned {r} after {clock.Elapsed.TotalMilliseconds:0} ms instead of waiting until the cancellation");
            Check.True(clock.Elapsed >= cancelAfter - TimeSpan.FromMilliseconds(100), $"{name}: cancelled after {clock.Elapsed.TotalMilliseconds:0} ms, before the token was");
            Check.Equal(Sorted(pids), Sorted(members.Alive()), $"members alive after the cancelled wait of {name}");
        }

        var forced = Stopwatch.StartNew();
        TreeStopResult end = handle.StopTreeAsync(new StopOptions([StopStep.Terminate(77, TimeSpan.MaxValue)])).GetAwaiter().GetResult();
        Info("tree-stop-huge-timeouts", $"exit code 77 for TimeSpan.MaxValue: {end} after {forced.Elapsed.TotalMilliseconds:0} ms");
        Check.True(end.Exited && end.StepIndex == 0, $"the exit-code step with TimeSpan.MaxValue: {end}");
        foreach (int pid in pids)
        {
            Check.Equal<uint?>(77, members.ExitCode(pid), $"exit code of member {pid}");
        }
    }

    /// <summary>
    /// The owner of a container ends by TerminateProcess (Windows' kill -9): every member, the
    /// orphaned grandchild included, dies with it. Without a container, the same tree lives on.
    /// </summary>
    private static void OwnerKilled(bool contain)
    {
        string name = contain ? "container-owner-killed" : "owner-killed-no-container";
        using var owner = Child.Start("container-owner", false, contain ? "contain" : "plain");
        string? line = ChildModes.WaitForLine(owner.ReportFile, $"ready {owner.Pid} ", TreeReady);
        if (line is null)
        {
            throw new TestFailure($"{owner.Description} did not report its tree: exit code {Child.Fmt(owner.ExitCode)}, report [{owner.Report}]");
        }

        // "ready OWNER sleeper S middle M grandchild G members A,B"
        string[] words = line.Split(' ');
        int sleeper = int.Parse(words[3], CultureInfo.InvariantCulture);
        int grandchild = int.Parse(words[7], CultureInfo.InvariantCulture);
        using var members = new Members([sleeper, grandchild]);
        if (contain)
        {
            Check.Equal(Sorted([sleeper, grandchild]), Sorted(words[9].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))), $"the container's members as its owner listed them (the middle child {words[5]} has exited)");
        }

        Check.True(Native.TerminateProcess(owner.Handle, 0xDEAD), "TerminateProcess of the owner");
        Check.Equal(0xDEADu, owner.WaitExitOrFail(Seen), "exit code of the owner");
        var clock = Stopwatch.StartNew();
        if (!contain)
        {
            Thread.Sleep(2000);
            Info(name, $"alive 2 s after the owner was ended: {Fmt(members.Alive())}");
            Check.Equal(Sorted([sleeper, grandchild]), Sorted(members.Alive()), "the sleeper and the orphaned grandchild, with no container, outlive their owner");
            return;
        }

        foreach (int pid in new[] { sleeper, grandchild })
        {
            Check.True(members.ExitCode(pid) is not null, $"member {pid} still runs {Seen.TotalSeconds:0} s after its owner was ended: the job did not die with its owner");
        }

        Info(name, $"both members exited within {clock.Elapsed.TotalMilliseconds:0} ms of the owner; exit codes 0x{members.ExitCode(sleeper):x}, 0x{members.ExitCode(grandchild):x}");
    }

    /// <summary>
    /// ProcessHandle.WaitForExitAsync while the handle is disposed: a cancelled wait ends at once;
    /// a pending wait must never complete because the pool waited on the closed handle's value,
    /// which a new object (an event, signalled) now holds.
    /// </summary>
    private static void WaitOnDisposedHandle()
    {
        using var target = Child.Start("sleep");
        using var other = Child.Start("sleep");
        target.WaitReady();
        other.WaitReady();

        var cancelled = ProcessHandle.Open(target.Pid);
        using var cts = new CancellationTokenSource();
        Task first = cancelled.WaitForExitAsync(cts.Token);
        Check.True(!first.IsCompleted, "the wait completed while the process runs");
        cts.Cancel();
        cancelled.Dispose();
        Check.True(SpinWait.SpinUntil(() => first.IsCompleted, TimeSpan.FromSeconds(1)) && first.IsCanceled, $"the cancelled wait is {first.Status} 1 s after the cancellation");

        var pending = ProcessHandle.Open(target.Pid);
        Task second = pending.WaitForExitAsync();
        Thread.Sleep(300);
        pending.Dispose();

        // The handle values just freed go to new objects, signalled; then a new registration makes
        // the pool's wait thread wait again, on every handle it holds.
        var decoys = new List<EventWaitHandle>();
        try
        {
            for (int i = 0; i < 64; i++)
            {
                decoys.Add(new EventWaitHandle(true, EventResetMode.ManualReset));
            }

            using var third = ProcessHandle.Open(other.Pid);
            Task waker = third.WaitForExitAsync();
            Thread.Sleep(1000);
            Check.True(!waker.IsCompleted, "the wait on the other child completed while it runs");
            Check.Equal(null, target.ExitCode, "the target's exit code");
            Check.True(second.Status != TaskStatus.RanToCompletion, "the wait of a disposed handle completed while its process runs: the pool waited on a closed handle's value, now one of our events");

            Os.Kill(target.Pid, 9);
            Check.True(SpinWait.SpinUntil(() => second.IsCompleted, Seen), $"the wait of the disposed handle is {second.Status} after its process exited");
            Info("wait-on-disposed-handle", $"the disposed handle's wait ended {second.Status} once its process exited");
        }
        finally
        {
            foreach (EventWaitHandle e in decoys)
            {
                e.Dispose();
            }
        }
    }

    private static string Fmt(IEnumerable<(int Pid, int Sig)> events) => string.Join(" ", events.Select(e => $"({e.Pid},{e.Sig})"));

    private sealed class AuditVetoException(string message) : Exception(message);
}
