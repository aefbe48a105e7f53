using System.Globalization;

namespace OsKill.Tests;

/// <summary>
/// A member that really never stops: the cgroup v1 freezer freezes a task where it sleeps, in
/// uninterruptible sleep (D), and keeps it from dying of SIGKILL until thawed.
/// </summary>
internal static class V1Freezer
{
    private const string Root = "/sys/fs/cgroup/freezer";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Freezes <paramref name="pid"/> in a v1 freezer cgroup of its own, waits until it sleeps in
    /// D, runs <paramref name="test"/> with the cgroup's path, then thaws it and removes the
    /// cgroup once it is empty. Skips, with the reason, where there is no v1 freezer.
    /// </summary>
    internal static async Task WithFrozenAsync(int pid, Func<string, Task> test)
    {
        if (!File.Exists(Root + "/cgroup.procs"))
        {
            Assert.Skip($"no cgroup v1 freezer is mounted at {Root}: there is no way here to make a member that never stops");
        }

        string cgroup = $"{Root}/oskill-test-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(cgroup);
        }
        catch (UnauthorizedAccessException e)
        {
            Assert.Skip($"cannot create a cgroup in the v1 freezer (that needs root): {e.Message}");
        }

        try
        {
            File.WriteAllText(cgroup + "/cgroup.procs", pid.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(cgroup + "/freezer.state", "FROZEN");
            try
            {
                await WaitUntilAsync(() => File.ReadAllText(cgroup + "/freezer.state").Trim() == "FROZEN" && ProcState.State(pid) == 'D');
                await test(cgroup);
            }
            finally
            {
                Thaw(cgroup);
            }
        }
        finally
        {
            await WaitUntilAsync(() => File.ReadAllText(cgroup + "/cgroup.procs").Trim().Length == 0);
            Directory.Delete(cgroup);
        }
    }

    /// <summary>Thaws the cgroup's tasks.</summary>
    internal static void Thaw(string cgroup) => File.WriteAllText(cgroup + "/freezer.state", "THAWED");

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? limit = null)
    {
        TimeSpan within = limit ?? TimeSpan.FromSeconds(20);
        DateTime deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the condition did not come true within {within}");
            await Task.Delay(10, Ct);
        }
    }
}
