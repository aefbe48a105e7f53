using System.Diagnostics;

namespace OsKill.WindowsTests;

/// <summary>
/// What the tree and container operations must never do: send without an audit event (or after a
/// veto), kill at once for a huge step timeout, take in or kill the caller, outlive their owner, or
/// leave a wait on a handle that was closed.
/// </summary>
internal static partial class TreeCases
{
    private static void RunSafetyCases(Harness h)
    {
        Run(h, "tree-stop-huge-timeouts", TreeStopHugeTimeouts, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// A step timeout of TimeSpan.MaxValue, 50 days or InfiniteTimeSpan means "wait that long": a
    /// tree that ignores Ctrl+C is still waited for (until the token cancels), never killed at once.
    /// A forced step with TimeSpan.MaxValue returns as soon as the tree has exited.
    /// </summary>
    private static void TreeStopHugeTimeouts()
    {
        using Child root = Child.StartOnNewConsole("tree", "1", "1", "ignore");
        List<int> pids = WaitTree(root);
        using var members = new Members(pids);
        using ProcessHandle handle = ProcessHandle.Open(root.Pid);
        TimeSpan cancelAfter = TimeSpan.FromSeconds(2);
        (string Name, TimeSpan Timeout)[] limits = [("TimeSpan.MaxValue", TimeSpan.MaxValue), ("50 days", TimeSpan.FromDays(50)), ("Timeout.InfiniteTimeSpan", Timeout.InfiniteTimeSpan)];
        foreach ((string name, TimeSpan limit) in limits)
        {
            using var cts = new CancellationTokenSource(cancelAfter);
            var options = new StopOptions([new StopStep(Signal.CTRL_C_EVENT, limit), new StopStep(77, Seen)]);
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
        TreeStopResult end = handle.StopTreeAsync(new StopOptions([new StopStep(77, TimeSpan.MaxValue)])).GetAwaiter().GetResult();
        Info("tree-stop-huge-timeouts", $"exit code 77 for TimeSpan.MaxValue: {end} after {forced.Elapsed.TotalMilliseconds:0} ms");
        Check.True(end.Exited && end.StepIndex == 0, $"the exit-code step with TimeSpan.MaxValue: {end}");
        foreach (int pid in pids)
        {
            Check.Equal<uint?>(77, members.ExitCode(pid), $"exit code of member {pid}");
        }
    }
}
