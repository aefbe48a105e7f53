using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Tests.Core;

/// <summary>One process of a <see cref="FakeWorld"/>: what it does when walked, frozen and signalled.</summary>
internal sealed class FakeProcess
{
    internal FakeProcess(int pid, int parent)
    {
        Pid = pid;
        Parent = parent;
    }

    internal int Pid { get; }

    internal int Parent { get; set; }

    /// <summary>Stopped: it can fork no more.</summary>
    internal bool Stopped { get; set; }

    /// <summary>A stop was sent and takes effect at the next look (a freeze is asynchronous).</summary>
    internal bool StopPending { get; set; }

    /// <summary>Exited (a zombie).</summary>
    internal bool Exited { get; set; }

    /// <summary>Reaped: the pid names no process.</summary>
    internal bool Reaped { get; set; }

    /// <summary>Never becomes quiet (uninterruptible sleep).</summary>
    internal bool NeverStops { get; set; }

    /// <summary>Exits on the polite signal.</summary>
    internal bool ExitsOnPolite { get; set; } = true;

    /// <summary>How many SIGKILLs it takes to die (2: one more after a KILL 0 ms step).</summary>
    internal int KillsToDie { get; set; } = 1;

    /// <summary>How many children it forks, one per listing, while it still runs.</summary>
    internal int ForksLeft { get; set; }

    /// <summary>The errno a send to it fails with (EPERM), 0 for none.</summary>
    internal int RefusesWith { get; set; }

    /// <summary>The errno its children list fails with (EMFILE), 0 for none.</summary>
    internal int ListFailsWith { get; set; }

    /// <summary>Exits and is reaped the first time it is listed, reparenting its children to 1.</summary>
    internal bool ExitsWhenListed { get; set; }

    /// <summary>Creates one child as the kill reaches it (a thread inside CreateProcess when its process was terminated).</summary>
    internal bool ForksAsItDies { get; set; }

    /// <summary>Every signal it received, in order.</summary>
    internal List<int> Received { get; } = [];

    internal bool Running => !Exited && !Stopped;
}

/// <summary>The processes the fake backend sees; pids far above PID_MAX_LIMIT, so never real.</summary>
internal sealed class FakeWorld
{
    private int _next = 0x7B00_0000;

    internal Dictionary<int, FakeProcess> Processes { get; } = [];

    internal FakeProcess Spawn(int parent = 1)
    {
        var p = new FakeProcess(++_next, parent);
        Processes[p.Pid] = p;
        return p;
    }

    /// <summary>A root with <paramref name="children"/> children, each with <paramref name="grandchildren"/> of its own.</summary>
    internal (FakeProcess Root, List<FakeProcess> All) Tree(int children, int grandchildren)
    {
        FakeProcess root = Spawn();
        var all = new List<FakeProcess> { root };
        for (int i = 0; i < children; i++)
        {
            FakeProcess child = Spawn(root.Pid);
            all.Add(child);
            for (int j = 0; j < grandchildren; j++)
            {
                all.Add(Spawn(child.Pid));
            }
        }

        return (root, all);
    }

    internal IEnumerable<FakeProcess> ChildrenOf(int pid) => Processes.Values.Where(p => p.Parent == pid && !p.Reaped).ToList();

    internal void Reap(FakeProcess p)
    {
        p.Exited = true;
        p.Reaped = true;
        foreach (FakeProcess child in ChildrenOf(p.Pid))
        {
            child.Parent = 1;
        }
    }
}

internal sealed class FakeMember(FakeProcess process) : TreeMember(process.Pid)
{
    internal FakeProcess Process { get; } = process;

    internal bool Released { get; set; }

    internal override string Describe() => $"fake {Pid}";
}

/// <summary>
/// A tree backend over <see cref="FakeWorld"/>: the skeleton's logic with no process involved.
/// SIGTERM stands for the polite signal, SIGKILL for the kill, SIGSTOP/SIGCONT for freeze and thaw.
/// </summary>
internal sealed class FakeTreeBackend(FakeWorld world) : ITreeBackend<FakeMember>
{
    internal List<FakeMember> Admitted { get; } = [];

    public int KillSignal => Signal.SIGKILL;

    public string KillName => "SIGKILL";

    public string FreezeName => "SIGSTOP";

    public string SendOperation => "fake_send";

    public TimeSpan StopLimit { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan SpinLimit => TimeSpan.FromMilliseconds(1);

    public int ThawSignal => Signal.SIGCONT;

    internal static FakeMember Root(FakeProcess p) => new(p);

    public void BeginRound()
    {
    }

    public bool ListChildren(FakeMember parent, List<int> into)
    {
        FakeProcess p = parent.Process;
        if (p.ListFailsWith != 0)
        {
            throw OsException.FromErrno(p.ListFailsWith, "read", $"cannot read the children of pid {p.Pid}", p.Pid, null);
        }

        if (p.Reaped)
        {
            return false;
        }

        if (p.ExitsWhenListed)
        {
            world.Reap(p);
            return false;
        }

        if (p.Running && p.ForksLeft > 0)
        {
            p.ForksLeft--;
            world.Spawn(p.Pid);
        }

        into.AddRange(world.ChildrenOf(p.Pid).Select(c => c.Pid));
        return true;
    }

    public bool HoldsPid(FakeMember member) => !member.Process.Reaped;

    public FakeMember? Admit(int pid, Func<int, FakeMember?> liveMember)
    {
        if (!world.Processes.TryGetValue(pid, out FakeProcess? p) || p.Reaped || liveMember(p.Parent) is null)
        {
            return null;
        }

        var member = new FakeMember(p);
        Admitted.Add(member);
        return member;
    }

    public void Freeze(FakeMember member)
    {
        FakeProcess p = member.Process;
        if (p.Reaped)
        {
            member.MarkGone();
            return;
        }

        if (p.Exited)
        {
            member.Exited = true;
            member.Stopped = true;
            return;
        }

        Audit.RaiseKill(p.Pid, Signal.SIGSTOP);
        int errno = Send(member, Signal.SIGSTOP);
        if (errno != 0)
        {
            throw OsException.FromErrno(errno, SendOperation, OsException.Sending(Signal.SIGSTOP, member.Describe()), p.Pid, Signal.SIGSTOP);
        }

        member.StoppedByUs = true;
    }

    public bool IsQuiet(FakeMember member, bool thorough)
    {
        FakeProcess p = member.Process;
        if (p.Reaped)
        {
            member.MarkGone();
            return true;
        }

        if (p.StopPending && !p.NeverStops)
        {
            p.StopPending = false;
            p.Stopped = true;
        }

        if (p.Exited)
        {
            member.Exited = true;
        }

        return p.Exited || p.Stopped;
    }

    public string DescribeNotStopped(FakeMember member) => $"pid {member.Pid} (never stops)";

    public int Send(FakeMember member, int sig)
    {
        FakeProcess p = member.Process;
        if (p.Reaped)
        {
            return Errno.ESRCH;
        }

        if (p.RefusesWith != 0)
        {
            return p.RefusesWith;
        }

        p.Received.Add(sig);
        if (sig == Signal.SIGSTOP)
        {
            p.StopPending = true;
        }
        else if (sig == Signal.SIGCONT)
        {
            p.Stopped = false;
            p.StopPending = false;
        }
        else if (sig == Signal.SIGKILL)
        {
            if (--p.KillsToDie <= 0)
            {
                p.Exited = true;
            }
        }
        else if (sig == Signal.SIGTERM && p.ExitsOnPolite)
        {
            p.Exited = true;
        }

        return 0;
    }

    public int Thaw(FakeMember member)
    {
        Audit.RaiseKill(member.Pid, Signal.SIGCONT);
        return Send(member, Signal.SIGCONT);
    }

    public async Task<List<FakeMember>> WaitForExitAsync(List<FakeMember> members, long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var left = members.Where(m => !m.Process.Exited).ToList();
            if (left.Count == 0 || Deadline.Passed(deadline))
            {
                return left;
            }

            await Task.Delay(1, cancellationToken);
        }
    }
}
