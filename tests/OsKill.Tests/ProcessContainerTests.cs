using System.Diagnostics;
using System.Globalization;
using OsKill.Linux.Cgroups;

namespace OsKill.Tests;

/// <summary>
/// ProcessContainer (a cgroup v2 of its own) against real processes: a process started in it is
/// inside before its program runs, a member that escapes by setsid and a double fork is still
/// inside, and KillAsync leaves nothing alive, where Process.Kill(entireProcessTree: true) leaves
/// the escaped member (ProcessTreeTests shows that). Every test kills what it left behind.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class ProcessContainerTests
{
    private static readonly TimeSpan Grow = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_puts_the_process_in_the_container_before_its_program_runs()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        var psi = new ProcessStartInfo("cat") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("/proc/self/cgroup");

        using Process cat = container.Start(psi);
        string output = await cat.StandardOutput.ReadToEndAsync(Ct);
        await cat.WaitForExitAsync(Ct);

        // cat's first read already sees the container: the shell moved itself in, then exec'd cat.
        string mount = CgroupContainer.FindMount(out _)!;
        string v2 = output.Split('\n').Single(l => l.StartsWith("0::", StringComparison.Ordinal));
        Assert.Equal(container.CgroupPath, mount.TrimEnd('/') + v2[3..]);
        Assert.Equal(0, cat.ExitCode);
    }

    [Fact]
    public async Task A_tree_started_in_a_container_is_killed_with_the_member_that_escaped()
    {
        RequireCgroups();
        string marker = Trees.NewMarker();
        using var container = new ProcessContainer();
        using Process root = container.Start(Trees.EscapingBashTree(marker));
        try
        {
            Trees.Seen escaped = await ProcessTreeTests.WaitForEscapedAsync(root, marker);
            List<Trees.Seen> before = Trees.Alive(marker);
            Assert.Equal(4, before.Count);
            Assert.Equal(before.Select(s => s.Pid).Order(), container.GetProcessIds().Order());

            TreeKillResult result = await container.KillAsync(Ct);

            Assert.Equal(before.Select(s => s.Pid).Order(), result.KilledPids.Order());
            Assert.Contains(escaped.Pid, result.KilledPids);
            Assert.DoesNotContain(before, Trees.StillAlive);
            Assert.Empty(Trees.Alive(marker));
            Assert.Empty(container.GetProcessIds());
            Assert.Equal(0, result.Rounds);
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task A_forking_tree_in_a_container_is_killed_with_no_survivor_in_two_runs()
    {
        RequireCgroups();
        const int Members = 150;
        for (int run = 0; run < 2; run++)
        {
            string marker = Trees.NewMarker();
            using var container = new ProcessContainer();
            using Process root = container.Start(Trees.ForkingTree(marker, Members, growMs: 10, churnMs: 500));
            try
            {
                await Trees.WaitForLineAsync(root, "grown", Grow);
                List<Trees.Seen> before = Trees.Alive(marker);
                Assert.True(before.Count >= Members, $"run {run}: {before.Count} members");

                TreeKillResult result = await container.KillAsync(Ct);

                Assert.True(result.KilledCount >= Members, $"run {run}: {result}");
                Assert.DoesNotContain(before, Trees.StillAlive);
                Assert.Empty(Trees.Alive(marker));
                Assert.Empty(container.GetProcessIds());
            }
            finally
            {
                await Trees.CleanupAsync(marker);
            }
        }
    }

    [Fact]
    public async Task Add_takes_a_running_process_and_everything_it_forks_afterwards()
    {
        RequireCgroups();
        string marker = Trees.NewMarker();
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("read -r go; ( setsid sleep 1000 & ); sleep 1000 & echo ready; wait");
        psi.Environment[Trees.MarkerVariable] = marker;
        using var container = new ProcessContainer();
        using Process bash = Process.Start(psi)!;
        try
        {
            container.Add(bash);
            await bash.StandardInput.WriteLineAsync("go".AsMemory(), Ct);
            await bash.StandardInput.FlushAsync(Ct);
            await Trees.WaitForLineAsync(bash, "ready", Grow);
            List<Trees.Seen> before = await Trees.WaitForSettledAsync(marker, 3, bash.Id, "sleep", Grow);
            Assert.Equal(before.Select(s => s.Pid).Order(), container.GetProcessIds().Order());

            TreeKillResult result = await container.KillAsync(Ct);

            Assert.Equal(3, result.KilledCount);
            Assert.DoesNotContain(before, Trees.StillAlive);
            Assert.Empty(Trees.Alive(marker));
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public void Add_of_a_pid_that_does_not_exist_names_the_cgroup_file()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        int pid = FreeIds.FindUnusedPid();

        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => container.Add(pid));

        Assert.Equal(pid, e.Pid);
        Assert.Contains(container.CgroupPath + "/cgroup.procs", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Add_refuses_a_pid_of_0_or_less(int pid)
    {
        RequireCgroups();
        using var container = new ProcessContainer();

        // Writing 0 to cgroup.procs would move the caller itself into the container.
        Assert.Throws<ArgumentOutOfRangeException>(() => container.Add(pid));
        Assert.Empty(container.GetProcessIds());
    }

    [Fact]
    public async Task Dispose_kills_what_is_left_and_removes_the_cgroup()
    {
        RequireCgroups();
        string marker = Trees.NewMarker();
        var container = new ProcessContainer();
        string path = container.CgroupPath!;
        using Process root = container.Start(Trees.StaticBashTree(marker));
        try
        {
            await Trees.WaitForLineAsync(root, "ready", Grow);
            List<Trees.Seen> before = await Trees.WaitForAliveAsync(marker, Trees.StaticBashTreeSize, Grow);
            Assert.True(Directory.Exists(path));

            container.Dispose();

            Assert.False(Directory.Exists(path));
            Assert.DoesNotContain(before, Trees.StillAlive);
            Assert.Throws<ObjectDisposedException>(() => container.Add(root.Id));
            container.Dispose();
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task KillAsync_of_an_empty_container_kills_nothing_and_it_stays_usable()
    {
        RequireCgroups();
        using var container = new ProcessContainer();

        TreeKillResult empty = await container.KillAsync(Ct);
        Assert.Equal(0, empty.KilledCount);

        var psi = new ProcessStartInfo("sleep") { UseShellExecute = false };
        psi.ArgumentList.Add("1000");
        using Process sleep = container.Start(psi);
        await WaitUntilAsync(() => container.GetProcessIds().Contains(sleep.Id));

        TreeKillResult one = await container.KillAsync(Ct);
        Assert.Equal([sleep.Id], one.KilledPids);
        Assert.True(sleep.WaitForExit(10_000));
        Assert.Equal(128 + Signal.SIGKILL, sleep.ExitCode);
    }

    [Fact]
    public async Task Start_keeps_the_callers_start_info_and_takes_an_Arguments_string()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        var psi = new ProcessStartInfo("/bin/sh", "-c \"echo \\\"$0\\\" \\\"$1\\\"\" \"two words\" back\\slash")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        using Process sh = container.Start(psi);
        string output = await sh.StandardOutput.ReadToEndAsync(Ct);
        await sh.WaitForExitAsync(Ct);

        Assert.Equal("two words back\\slash\n", output);
        Assert.Equal("/bin/sh", psi.FileName);
        Assert.Equal("-c \"echo \\\"$0\\\" \\\"$1\\\"\" \"two words\" back\\slash", psi.Arguments);
        Assert.Empty(psi.ArgumentList);
    }

    [Fact]
    public void The_container_is_made_under_the_callers_own_cgroup()
    {
        RequireCgroups();
        string mount = CgroupContainer.FindMount(out _)!;
        string own = File.ReadAllLines("/proc/self/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
        using var container = new ProcessContainer();

        string parent = Path.GetDirectoryName(container.CgroupPath)!;
        Assert.Equal(
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(mount.TrimEnd('/') + own)),
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(parent)));
        Assert.StartsWith("oskill-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-", Path.GetFileName(container.CgroupPath), StringComparison.Ordinal);
    }

    private static void RequireCgroups()
    {
        if (!ProcessContainer.IsSupported)
        {
            Assert.Skip("no cgroup v2 hierarchy is mounted here (/proc/self/mountinfo has no cgroup2)");
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Grow;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(10, Ct);
        }
    }
}
