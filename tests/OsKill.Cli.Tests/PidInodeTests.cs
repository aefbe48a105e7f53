using System.Globalization;
using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;
using static OsKill.Testing.ProcState;

namespace OsKill.Cli.Tests;

/// <summary>
/// PID:INODE targets (util-linux, 2025): the process with that pid only while the inode of a pidfd
/// for it is INODE. On pidfs (Linux 6.9+) that inode names one process for the life of the
/// system, so a pid that has been reused by then is never signalled. The test reads each inode
/// itself, from /proc/self/fdinfo of a pidfd it opens.
/// </summary>
public class PidInodeTests
{
    [Fact]
    public async Task The_right_inode_signals_the_process()
    {
        using Child sleep = await StartSleepAsync();
        string target = $"{sleep.Pid}:{Inode(sleep.Pid)}";
        Expect.Quiet(await OsKillRun.RunAsync(target));
        Assert.Equal(128 + Signal.SIGTERM, await sleep.WaitForExitAsync());
    }

    [Fact]
    public async Task Another_process_s_inode_signals_nothing()
    {
        // What a recycled pid looks like: the pid is there, but it is another process than the
        // one whose inode the caller kept.
        using Child sleep = await StartSleepAsync();
        using Child other = await StartSleepAsync();
        ulong actual = Inode(sleep.Pid);
        ulong kept = Inode(other.Pid);
        string target = $"{sleep.Pid}:{kept}";

        CliResult r = await OsKillRun.RunAsync("-v", "-s", "KILL", target);
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        string reason = $"No such process: the pidfd inode of pid {sleep.Pid} is {actual}";
        Assert.Equal($"sending signal 9 (KILL) to pid {sleep.Pid}: {reason}\n", r.Stdout);
        Assert.Equal($"oskill: ({target}): {reason}\n", r.Stderr);
        AssertUntouched(sleep.Pid);
        AssertUntouched(other.Pid);
    }

    [Fact]
    public async Task Pid_prints_a_PID_INODE_only_while_the_inode_matches()
    {
        using Child sleep = await StartSleepAsync();
        ulong inode = Inode(sleep.Pid);
        CliResult r = await OsKillRun.RunAsync("-p", $"{sleep.Pid}:{inode}", $"{sleep.Pid}:{inode + 1}");
        Expect.Clean(r);
        Assert.Equal(64, r.ExitCode);
        Assert.Equal($"{sleep.Pid}\n", r.Stdout);
        AssertUntouched(sleep.Pid);
    }

    [Fact]
    public async Task Timeout_escalates_through_the_checked_pidfd()
    {
        using Child ignoring = await StartIgnoringTermAsync();
        Expect.Quiet(await OsKillRun.RunAsync("--timeout", "200", "KILL", $"{ignoring.Pid}:{Inode(ignoring.Pid)}"));
        Assert.Equal(137, await ignoring.WaitForExitAsync());
    }

    [Theory]
    [InlineData(":")]
    [InlineData(":0")]
    [InlineData(":x")]
    [InlineData(":-1")]
    [InlineData(":99999999999999999999")]
    public async Task A_malformed_PID_INODE_is_a_failed_target(string suffix)
    {
        using Child sleep = await StartSleepAsync();
        string target = Text(sleep.Pid) + suffix;
        CliResult r = await OsKillRun.RunAsync(target);
        Expect.Clean(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"oskill: ({target}): not a PID:INODE (both are decimal numbers from 1; INODE is the inode of a pidfd for PID)\n", r.Stderr);
        AssertUntouched(sleep.Pid);
    }

    [Fact]
    public async Task Queue_with_a_PID_INODE_is_a_usage_error()
    {
        // sigqueue takes a pid, which could name another process by the time it runs.
        using Child sleep = await StartSleepAsync();
        Expect.UsageError(
            await OsKillRun.RunAsync("-q", "1", $"{sleep.Pid}:{Inode(sleep.Pid)}"),
            "--queue cannot be used with PID:INODE targets");
        AssertUntouched(sleep.Pid);
    }

    // The inode of a pidfd for pid, from the kernel's fdinfo; the test needs pidfs, where each
    // process has its own (before Linux 6.9, every pidfd shares one anonymous inode).
    private static ulong Inode(int pid)
    {
        using SafePidfdHandle pidfd = Os.PidfdOpen(pid);
        using SafePidfdHandle own = Os.PidfdOpen(Environment.ProcessId);
        ulong inode = FdInode(pidfd);
        Assert.SkipWhen(inode == FdInode(own), "this kernel has no pidfs (Linux 6.9+): every pidfd has the same inode, so PID:INODE cannot name a process");
        return inode;
    }

    // "ino:\t123" in /proc/self/fdinfo/FD.
    private static ulong FdInode(SafePidfdHandle pidfd) => ulong.Parse(
        File.ReadLines($"/proc/self/fdinfo/{pidfd.FileDescriptor}").Single(l => l.StartsWith("ino:", StringComparison.Ordinal))["ino:".Length..].Trim(),
        CultureInfo.InvariantCulture);
}
