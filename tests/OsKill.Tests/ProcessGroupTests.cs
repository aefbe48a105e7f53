using System.Globalization;

namespace OsKill.Tests;

/// <summary>
/// Signals to process groups: Os.Kill with a negative pid, Os.KillPg, and pid 0 (the caller's own
/// group). Every group that gets a real signal is one a test made with setsid; the test host's own
/// group, pid -1 and group 1 never get one.
/// </summary>
public class ProcessGroupTests
{
    private static readonly string[] s_setsid = ["setsid"];

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Group_signals_reach_every_member_and_nothing_outside_the_group()
    {
        int usr1 = Signal.SIGUSR1;
        int usr2 = Signal.SIGUSR2;
        using Child outsider = await Child.StartAsync("catch", Num(usr1), Num(usr2));
        using Child leader = await Child.StartWrappedAsync(s_setsid, ["spawn", "2", "catch", Num(usr1), Num(usr2)]);

        // setsid did not fork (the harness's child is no group leader), so the pid we started is
        // the pid that reported, and it leads a new group.
        Assert.Equal(leader.Process.Id, leader.Pid);
        int pgid = leader.Pid;
        Assert.Equal(pgid, ProcState.ProcessGroup(leader.Pid));
        Assert.NotEqual(pgid, ProcState.ProcessGroup(Environment.ProcessId));
        Assert.NotEqual(pgid, ProcState.ProcessGroup(outsider.Pid));

        int[] members = leader.Seen.Where(l => l.StartsWith("child ", StringComparison.Ordinal))
            .Select(l => int.Parse(l["child ".Length..], CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(2, members.Length);
        Assert.All(members, m => Assert.Equal(pgid, ProcState.ProcessGroup(m)));

        // Signal 0 checks that the group exists, both ways.
        Os.Kill(-pgid, 0);
        Os.KillPg(pgid, 0);

        Os.Kill(-pgid, usr1);
        await leader.WaitForAllAsync([$"got {usr1}", .. members.Select(m => $"child {m} got {usr1}")]);

        Os.KillPg(pgid, Signal.Parse("usr2"));
        await leader.WaitForAllAsync([$"got {usr2}", .. members.Select(m => $"child {m} got {usr2}")]);

        // Each member got each signal exactly once; the leader exits with the first one.
        Assert.Equal(usr1, await leader.FinishAsync());
        await leader.ReadToEndAsync();
        foreach (int sig in new[] { usr1, usr2 })
        {
            Assert.Equal(1, leader.CountSeen($"got {sig}"));
            Assert.All(members, m => Assert.Equal(1, leader.CountSeen($"child {m} got {sig}")));
        }

        // The process outside the group received nothing: it exits with 0.
        Assert.Equal(0, await outsider.FinishAsync());
        Assert.DoesNotContain(outsider.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Kill_pid_zero_signals_the_callers_whole_group(int grandchildren)
    {
        int usr1 = Signal.SIGUSR1;
        using Child outsider = await Child.StartAsync("catch", Num(usr1));
        string[] args = grandchildren == 0
            ? ["kill-own-group", "USR1"]
            : ["spawn", Num(grandchildren), "kill-own-group", "USR1"];
        using Child caller = await Child.StartWrappedAsync(s_setsid, args);

        // setsid made the process we started (it did not fork) the leader of a new group. Alone,
        // the caller exits as soon as it has its signal, so only a caller with children stays
        // long enough to read its group from /proc.
        Assert.Equal(caller.Process.Id, caller.Pid);
        if (grandchildren > 0)
        {
            Assert.Equal(caller.Pid, ProcState.ProcessGroup(caller.Pid));
        }

        int[] members = caller.Seen.Where(l => l.StartsWith("child ", StringComparison.Ordinal))
            .Select(l => int.Parse(l["child ".Length..], CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(grandchildren, members.Length);
        Assert.All(members, m => Assert.Equal(caller.Pid, ProcState.ProcessGroup(m)));

        // The caller sends Os.Kill(0, SIGUSR1) once; it and each member of its group print "got".
        await caller.WaitForAllAsync(["sent", $"got {usr1}", .. members.Select(m => $"child {m} got {usr1}")]);
        Assert.Equal(usr1, await caller.FinishAsync());
        await caller.ReadToEndAsync();
        Assert.Equal(1, caller.CountSeen($"got {usr1}"));

        Assert.Equal(0, await outsider.FinishAsync());
        Assert.DoesNotContain(outsider.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KillPg_zero_signals_the_callers_own_group()
    {
        // The child does not catch SIGUSR1, so killpg(0, SIGUSR1) ends it, by that signal.
        using Child caller = await Child.StartWrappedAsync(s_setsid, ["killpg", "0", "USR1"]);
        Assert.Equal(128 + Signal.SIGUSR1, await caller.WaitForExitAsync());
        Assert.DoesNotContain(caller.Seen, l => l.StartsWith("result ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KillPg_of_a_negative_group_is_EINVAL_and_sends_nothing()
    {
        int usr1 = Signal.SIGUSR1;
        using Child target = await Child.StartAsync("catch", Num(usr1));

        // The negative of a live pid: a library that passed it on as kill(pid) would hit the child.
        OsException e = Assert.Throws<OsException>(() => Os.KillPg(-target.Pid, usr1));
        Assert.Equal(22, e.Errno);
        Assert.Equal("killpg", e.Operation);
        Assert.Equal(-target.Pid, e.Pid);
        Assert.Equal(usr1, e.Signal);
        Assert.Contains("Invalid argument", e.Message, StringComparison.Ordinal);

        Assert.Equal(0, await target.FinishAsync());
        Assert.DoesNotContain(target.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public void KillPg_of_group_1_is_refused_with_EINVAL_and_says_why()
    {
        // Signal 0 only: were the refusal missing, killpg(1, 0) would be a harmless kill(-1, 0).
        OsException e = Assert.Throws<OsException>(() => Os.KillPg(1, 0));
        Assert.Equal(22, e.Errno);
        Assert.Equal("killpg", e.Operation);
        Assert.Equal(1, e.Pid);
        Assert.Equal(0, e.Signal);
        Assert.Equal("Invalid argument", e.OsMessage);
        Assert.Contains("process group 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("kill(-1)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Os.Kill(-1, sig)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KillPg_of_a_group_that_does_not_exist_is_ProcessLookupException()
    {
        int pgid = FreeIds.FindUnusedPid();
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Os.KillPg(pgid, 0));
        Assert.Equal(3, e.Errno);
        Assert.Equal("killpg", e.Operation);
        Assert.Equal(pgid, e.Pid);
        Assert.Equal(0, e.Signal);
        Assert.Equal("No such process", e.OsMessage);
        Assert.Contains($"process group {pgid}", e.Message, StringComparison.Ordinal);
    }
}
