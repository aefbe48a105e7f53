using System.Diagnostics;

namespace OsKill.Tests;

/// <summary>
/// How a ProcessContainer ends, against real processes and cgroups: DisposeAsync kills and removes
/// without blocking a thread; Dispose never throws, and when it cannot finish it says so in the
/// event source and hands what is left to the owner watchdog, or, after an audit hook's veto, kills
/// nobody; DisposeAsync throws the same failure (a veto unchanged). CgroupPath is the cgroup here
/// (null on Windows, where the Wine stage checks it).
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class ContainerDisposalTests
{
    private static readonly AsyncLocal<object?> s_scope = new();
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DisposeAsync_kills_what_is_left_removes_the_cgroup_and_releases_the_watchdog()
    {
        RequireCgroups();
        var container = new ProcessContainer();
        string path = container.CgroupPath!;
        using Process sleep = container.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false });
        await WaitUntilAsync(() => ContainerHardeningTests.Watchdogs(path).Length > 0);

        await container.DisposeAsync();

        Assert.False(Directory.Exists(path), $"{path} is still there after DisposeAsync");
        Assert.True(sleep.WaitForExit(10_000));
        Assert.Equal(128 + Signal.SIGKILL, sleep.ExitCode);
        Assert.Throws<ObjectDisposedException>(() => container.GetProcessIds());
        Assert.Equal(path, container.CgroupPath);
        await WaitUntilAsync(() => ContainerHardeningTests.Watchdogs(path).Length == 0);

        // Disposed twice, either way: nothing more happens, nothing is thrown.
        await container.DisposeAsync();
        container.Dispose();
    }

    [Fact]
    public async Task Dispose_that_cannot_remove_the_cgroup_does_not_throw_reports_it_and_the_watchdog_finishes_the_job()
    {
        RequireCgroups();
        using var listener = new TracingTests.OsKillListener();
        var container = new ProcessContainer();
        string path = container.CgroupPath!;
        await WaitUntilAsync(() => ContainerHardeningTests.Watchdogs(path).Length > 0);

        // A child cgroup makes rmdir of the container fail with EBUSY, whatever Dispose does.
        string child = Path.Combine(path, "blocker");
        Directory.CreateDirectory(child);
        try
        {
            container.Dispose();

            IReadOnlyDictionary<string, object?> e = Assert.Single(listener.Expect("ContainerDisposeFailed", p => (string)p["container"]! == path, 1));
            Assert.Contains("OsKill.OsException", (string)e["error"]!, StringComparison.Ordinal);
            Assert.Contains("rmdir", (string)e["error"]!, StringComparison.Ordinal);
            Assert.Contains("watchdog", (string)e["handover"]!, StringComparison.Ordinal);
            Assert.True(Directory.Exists(path));
            Assert.Throws<ObjectDisposedException>(() => container.GetProcessIds());
        }
        finally
        {
            Directory.Delete(child);
        }

        // Handed over, not released: the watchdog removes the cgroup once it can (it tries for 20 s).
        await WaitUntilAsync(() => !Directory.Exists(path));
        await WaitUntilAsync(() => ContainerHardeningTests.Watchdogs(path).Length == 0);
    }

    [Fact]
    public async Task DisposeAsync_that_cannot_remove_the_cgroup_throws_the_error_naming_it()
    {
        RequireCgroups();
        var container = new ProcessContainer();
        string path = container.CgroupPath!;
        string child = Path.Combine(path, "blocker");
        Directory.CreateDirectory(child);
        try
        {
            OsException e = await Assert.ThrowsAsync<OsException>(async () => await container.DisposeAsync());

            Assert.Contains("cannot remove the cgroup " + path, e.Message, StringComparison.Ordinal);
            Assert.Equal("rmdir", e.Operation);
            Assert.Throws<ObjectDisposedException>(() => container.GetProcessIds());
        }
        finally
        {
            Directory.Delete(child);
        }

        await WaitUntilAsync(() => !Directory.Exists(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_vetoed_disposal_kills_nobody_then_or_later_and_says_so(bool async)
    {
        RequireCgroups();
        using var listener = new TracingTests.OsKillListener();
        var container = new ProcessContainer();
        string path = container.CgroupPath!;
        using Process spared = container.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false });
        await WaitUntilAsync(() => ContainerHardeningTests.Watchdogs(path).Length > 0);
        object scope = new();
        var veto = new InvalidOperationException("spare it");
        Assert.True(Audit.AddHook((name, args) =>
        {
            if (ReferenceEquals(s_scope.Value, scope) && name == "os.kill" && args is [int pid, _] && pid == spared.Id)
            {
                throw veto;
            }
        }));

        s_scope.Value = scope;
        try
        {
            if (async)
            {
                Assert.Same(veto, await Assert.ThrowsAsync<InvalidOperationException>(async () => await container.DisposeAsync()));
            }
            else
            {
                container.Dispose();
                IReadOnlyDictionary<string, object?> e = Assert.Single(listener.Expect("ContainerDisposeFailed", p => (string)p["container"]! == path, 1));
                Assert.Equal("System.InvalidOperationException: spare it", e["error"]);
                Assert.Contains("vetoed", (string)e["handover"]!, StringComparison.Ordinal);
            }
        }
        finally
        {
            s_scope.Value = null;
        }

        try
        {
            // Released, not handed over: the watchdog exits without a kill (handed over, it would
            // kill the member at once, then wait for the cgroup to empty).
            await WaitUntilAsync(() => ContainerHardeningTests.Watchdogs(path).Length == 0);
            Assert.False(spared.HasExited, "the member the hook spared was killed");
            Assert.True(Directory.Exists(path), "the cgroup of the spared member is gone");
            Assert.Throws<ObjectDisposedException>(() => container.GetProcessIds());
        }
        finally
        {
            spared.Kill();
            Assert.True(spared.WaitForExit(10_000));
            await WaitUntilAsync(() => File.ReadAllText(Path.Combine(path, "cgroup.events")).Contains("populated 0", StringComparison.Ordinal));
            Directory.Delete(path);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Prompt, "the condition did not come true in time");
            await Task.Delay(20, Ct);
        }
    }

    private static void RequireCgroups()
    {
        if (!ProcessContainer.IsSupported)
        {
            Assert.Skip("no cgroup v2 hierarchy is mounted here (/proc/self/mountinfo has no cgroup2)");
        }
    }
}
