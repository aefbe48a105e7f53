using System.Diagnostics;
using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>
/// Without a cgroup: oskill is a subreaper (PR_SET_CHILD_SUBREAPER), so every process CMD's tree
/// orphans, even after setsid and a double fork, is re-parented to oskill, and the container is
/// oskill's descendants, found through the parent links in /proc. A stop sends each step to each
/// of them and polls /proc until none is left. What it cannot hold: a process that moves out of
/// oskill's tree (into another subreaper's), and, if oskill is SIGKILLed, anything but CMD itself
/// (PR_SET_PDEATHSIG, set by setpriv, reaches only the direct child).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class FallbackRunContainer(IReadOnlySet<int> dotnetChildren) : IRunContainer
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan s_killWait = TimeSpan.FromSeconds(10);
    private int _main;

    public string Description => $"no cgroup: CMD's own process group, oskill (pid {Environment.ProcessId}) its subreaper";

    public bool IsEmpty => Members().Count == 0;

    public void Adopt(int pid) => _main = pid;

    public IReadOnlyList<int> Signal(int sig)
    {
        var reached = new List<int>();
        foreach (int pid in Members())
        {
            if (Native.Kill(pid, sig) == 0)
            {
                reached.Add(pid);
            }
        }

        return reached;
    }

    public async Task StopAsync(StopOptions options, ContainerKillMode mode, Func<bool> mainRunning, Action<string>? log)
    {
        StopChains.LogSteps(options, mode, log);
        var started = Stopwatch.StartNew();
        IReadOnlyList<StopStep> steps = options.Steps;
        for (int i = 0; i < steps.Count; i++)
        {
            bool last = i == steps.Count - 1;
            bool mainOnly = mode == ContainerKillMode.Mixed && !last;
            if (mainOnly && !mainRunning())
            {
                continue; // mixed: once the main process is gone, the last step goes at once
            }

            int sig = steps[i].Signal ?? global::OsKill.Signal.SIGKILL;
            IReadOnlyList<int> reached = mainOnly ? (Native.Kill(_main, sig) == 0 ? [_main] : []) : Signal(sig);
            log?.Invoke($"stop step {i}: sent {ExitText.SignalText(sig)} to {(reached.Count == 0 ? "nobody" : string.Join(' ', reached))}");
            Func<bool> done = mainOnly ? () => !mainRunning() : () => IsEmpty;
            if (await WaitAsync(done, steps[i].Timeout, sig == global::OsKill.Signal.SIGKILL ? sig : 0))
            {
                log?.Invoke($"stop: {(mainOnly ? "the main process exited" : "empty")} after step {i}, {started.Elapsed.TotalMilliseconds:0} ms");
                if (!mainOnly)
                {
                    return;
                }
            }
        }

        if (!IsEmpty)
        {
            IReadOnlyList<int> left = Signal(global::OsKill.Signal.SIGKILL);
            log?.Invoke($"stop: the steps left {string.Join(' ', left)}: sent SIGKILL");
            _ = await WaitAsync(() => IsEmpty, s_killWait, global::OsKill.Signal.SIGKILL);
        }
    }

    /// <summary>oskill's living descendants, but the children .NET started before CMD.</summary>
    private List<int> Members() => ProcTable.Descendants(Environment.ProcessId, dotnetChildren);

    // Polls until done() or the timeout; with resend, sends it again to whoever appears (a child
    // forked under KILL).
    private async Task<bool> WaitAsync(Func<bool> done, TimeSpan timeout, int resend)
    {
        var elapsed = Stopwatch.StartNew();
        while (!done())
        {
            if (timeout != Timeout.InfiniteTimeSpan && elapsed.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(s_poll);
            if (resend != 0)
            {
                _ = Signal(resend);
            }
        }

        return true;
    }

    public void Dispose()
    {
        if (!IsEmpty)
        {
            _ = Signal(global::OsKill.Signal.SIGKILL);
        }
    }
}
