namespace OsKill.Tests;

/// <summary>
/// Out of descriptors, a call throws the documented <see cref="OsException"/> with EMFILE, saying
/// what it was doing and for which pid, and the next call (with descriptors free again) works. The
/// descriptor table is filled in a test child (ExhaustionModes.cs, WatcherModes.cs), never here.
/// </summary>
public class DescriptorExhaustionTests
{
    private const string Emfile = "OsException errno=24 ";

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_container_made_out_of_descriptors_throws_EMFILE_saying_what_it_was_doing_and_leaves_no_cgroup(int free)
    {
        if (!ProcessContainer.IsSupported)
        {
            Assert.Skip("no cgroup v2 hierarchy is mounted here (/proc/self/mountinfo has no cgroup2)");
        }

        ChildReport r = await ChildReport.RunAsync("container-emfile", free.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal("24", r["fill-errno"]);

        // 0 free: /proc/self/mountinfo cannot be read (this said "no cgroup2 is mounted"); 1 free:
        // the watchdog cannot be started (this was a Win32Exception). More may be enough.
        string first = r["first"];
        if (free <= 1 || first != "ok")
        {
            Assert.StartsWith(Emfile, first, StringComparison.Ordinal);
            Assert.Contains("cannot create a process container: cannot ", first, StringComparison.Ordinal);
            Assert.Contains(free == 0 ? "/proc/self/mountinfo" : "watchdog", first, StringComparison.Ordinal);
        }

        Assert.Equal("0", r["left"]);
        Assert.Equal("ok", r["second"]);
        Assert.Equal("0", r["left-at-end"]);
    }

    [Theory]
    [InlineData(0, "epoll_create1")]
    [InlineData(1, "Thread.Start")]
    [InlineData(2, "Thread.Start")]
    public async Task A_first_wait_without_descriptors_for_the_watcher_throws_EMFILE_naming_the_pid_and_the_next_wait_works(int free, string operation)
    {
        // With 1 or 2 free, epoll_create1 succeeds and the runtime cannot start the watcher's
        // thread (it needs a pipe for that): this was an OutOfMemoryException.
        ChildReport r = await ChildReport.RunAsync("watch-emfile", free.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal("24", r["fill-errno"]);
        Assert.StartsWith($"{Emfile}op={operation} ", r["first"], StringComparison.Ordinal);
        Assert.Contains($"cannot wait for the exit of pidfd ", r["first"], StringComparison.Ordinal);
        Assert.Contains($"(pid {r["target"]})", r["first"], StringComparison.Ordinal);
        Assert.Equal("True", r["second-pending"]);
        Assert.Equal("ok", r["second"]);
    }
}
