using System.Diagnostics;
using System.Runtime.Versioning;

namespace OsKill.Bench;

/// <summary>
/// Issue #15, item 3 (a): one kill of a static tree of <c>size</c> sleeping members
/// (bench/native/tree_node.c, every member in pause(2)), inside a cgroup, timed from the call until
/// cgroup.events says "populated 0" (the last member has exited) and the call has returned.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class KillBench(string treeNode, string siblingCgroup)
{
    public const string Raw = "raw cgroup.kill write";
    public const string RawBoosted = "raw cgroup.kill write at nice −20";
    public const string ContainerKill = "ProcessContainer.KillAsync";
    public const string StopKill = "ProcessContainer.StopAsync, SIGKILL only";
    public const string StopDefault = "ProcessContainer.StopAsync, default chain (SIGTERM 5 s, SIGKILL 5 s)";
    public const string Tree = "ProcessTree.KillAsync (freeze-walk)";

    public static readonly string[] Methods = [Raw, RawBoosted, ContainerKill, StopKill, StopDefault, Tree];

    private static readonly StopOptions KillOnly = new([StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(10))]);

    /// <summary>Where the fixture lives: a ProcessContainer for the container's own methods, a cgroup of the harness's for the raw writes and the tree kill.</summary>
    private static bool InContainer(string method) => method is ContainerKill or StopKill or StopDefault;

    public async Task<KillRun> RunAsync(string method, int size, int round)
    {
        using ProcessContainer? container = InContainer(method) ? new ProcessContainer() : null;
        using BenchCgroup? own = container is null ? BenchCgroup.CreateBeside(siblingCgroup) : null;
        string cgroup = container?.CgroupPath ?? own!.Path;
        var psi = new ProcessStartInfo(treeNode) { UseShellExecute = false };
        if (container is null)
        {
            // The harness's own launch: the shell enters the cgroup, then becomes the tree's root.
            psi.FileName = "/bin/sh";
            foreach (string a in new[] { "-c", "echo $$ >| \"$1\" || exit 126; shift; exec \"$@\"", "sh", own!.Procs, treeNode })
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (string a in new[] { "static", BenchCgroup.Str(size), "120" })
        {
            psi.ArgumentList.Add(a);
        }

        using Process root = container?.Start(psi) ?? Process.Start(psi)!;
        try
        {
            int before = await GrowAsync(cgroup, size);
            int events = BenchCgroup.OpenEvents(cgroup);
            try
            {
                int? killed = null;
                string? note = null;
                long t0 = Stopwatch.GetTimestamp();
                switch (method)
                {
                    case Raw or RawBoosted:
                        BenchCgroup.RawKill(cgroup, niceMinus20: method == RawBoosted);
                        break;
                    case ContainerKill:
                        killed = (await container!.KillAsync()).KilledCount;
                        break;
                    case StopKill or StopDefault:
                        ContainerStopResult stop = await container!.StopAsync(method == StopKill ? KillOnly : StopOptions.Default);
                        killed = stop.Members.Count;
                        note = stop.ToString();
                        break;
                    default:
                        TreeKillResult tree = await ProcessTree.KillAsync(root.Id);
                        killed = tree.KilledCount;
                        note = $"{tree.Rounds} rounds";
                        break;
                }

                double returned = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                bool empty = BenchCgroup.WaitEmpty(events, TimeSpan.FromSeconds(30));
                double gone = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                int survivors = BenchCgroup.Count(cgroup);
                return new KillRun(round, before, returned, gone, killed, survivors, empty ? note : "still populated after 30 s; " + note);
            }
            finally
            {
                _ = Native.Close(events);
            }
        }
        finally
        {
            // Disposal kills what is left and removes the cgroup (both are idempotent).
            container?.Dispose();
            own?.Dispose();
            await root.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Waits until the cgroup holds <paramref name="size"/> processes, then 200 ms more, so that every member has reached pause(2).</summary>
    private static async Task<int> GrowAsync(string cgroup, int size)
    {
        var sw = Stopwatch.StartNew();
        int n;
        while ((n = BenchCgroup.Count(cgroup)) < size)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException($"the tree reached only {n} of {size} processes in 120 s");
            }

            await Task.Delay(20);
        }

        await Task.Delay(200);
        return BenchCgroup.Count(cgroup);
    }
}
