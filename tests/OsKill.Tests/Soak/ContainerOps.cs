namespace OsKill.Tests.Soak;

/// <summary>
/// The soak's container operation: a ProcessContainer with one or two trees started in it (some
/// with a member that escapes by setsid), then KillAsync (sometimes vetoed), maybe another start,
/// and Dispose. After a kill or Dispose nothing of theirs is alive; after a vetoed kill nobody
/// died; after Dispose the cgroup directory is gone.
/// </summary>
internal static class ContainerOps
{
    internal static async Task RunAsync(Operation op, Action<string> madeCgroup)
    {
        var plan = new VetoPlan(null, null, 1);
        Outcome<ProcessContainer> made = await op.RunAsync(plan, () => Task.FromResult(new ProcessContainer()));
        if (made.Value is not ProcessContainer container)
        {
            op.Judge(Api.ContainerNew, made, plan);
            return;
        }

        madeCgroup(container.CgroupPath!);
        var targets = new List<Target>();
        bool disposed = false;
        try
        {
            int trees = op.Random.Next(1, 3);
            for (int i = 0; i < trees; i++)
            {
                targets.Add(op.Chance(0.3)
                    ? await Target.EscapingAsync(container.Start)
                    : await TreeOps.RandomTargetAsync(op, container.Start));
            }

            string then = op.Pick("kill", "kill-start-dispose", "dispose");
            var killPlan = new VetoPlan(null, then != "dispose" && op.Chance(0.3) ? Signal.SIGKILL : null, op.Random.Next(1, 4));
            op.Say($"container {container.CgroupPath} with {string.Join(" + ", targets)}, then {then}, {killPlan}");

            if (then != "dispose")
            {
                var before = targets.Where(t => t.Stable).SelectMany(t => t.Alive()).ToList();
                Outcome<TreeKillResult> killed = await op.RunAsync(killPlan, () => container.KillAsync());
                op.Judge(Api.ContainerKill, killed, killPlan);
                if (killed.Succeeded)
                {
                    CheckNoneAlive(op, targets, "after KillAsync");
                    Outcome<IReadOnlyList<int>> ids = await op.RunAsync(plan, () => Task.FromResult(container.GetProcessIds()));
                    op.Judge(Api.ContainerIds, ids, plan);
                    if (ids.Value is { Count: > 0 } left)
                    {
                        op.Violation($"KillAsync returned, but the container still lists {string.Join(", ", left)}");
                    }
                }
                else if (killPlan.Fired is not null)
                {
                    op.CheckAllStillAlive(before, "after a vetoed KillAsync");
                }
            }

            if (then == "kill-start-dispose")
            {
                targets.Add(await Target.TrapperAsync(container.Start));
            }

            Outcome<bool> gone = await op.RunAsync(plan, () =>
            {
                disposed = true;
                container.Dispose();
                return Task.FromResult(true);
            });
            op.Judge(Api.ContainerDispose, gone, plan);
            if (gone.Succeeded)
            {
                CheckNoneAlive(op, targets, "after Dispose");
                if (Directory.Exists(container.CgroupPath))
                {
                    op.Violation($"Dispose returned, but the cgroup {container.CgroupPath} is still there");
                }
            }
        }
        finally
        {
            if (!disposed)
            {
                container.Dispose();
            }

            foreach (Target target in targets)
            {
                await target.DisposeAsync();
            }
        }
    }

    private static void CheckNoneAlive(Operation op, List<Target> targets, string after)
    {
        foreach (Target target in targets)
        {
            List<Trees.Seen> survivors = target.Alive();
            if (survivors.Count > 0)
            {
                op.Violation($"{after}, {survivors.Count} process(es) of {target} are alive: {string.Join(", ", survivors.Select(s => s.Pid))}");
            }
        }
    }
}
