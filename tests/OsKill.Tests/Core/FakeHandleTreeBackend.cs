using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Tests.Core;

/// <summary>
/// A tree backend with Windows' shape over <see cref="FakeWorld"/>: members are held by handles, so
/// an exited member keeps its pid and its children still name it; a snapshot lists only processes
/// that have not exited; a freeze (SIGSTOP here) takes effect at once and raises no audit event;
/// every signal but SIGINT ends a process (an exit code); SIGINT stands for a console event, sent
/// once and reaching every member.
/// </summary>
internal sealed class FakeHandleTreeBackend(FakeWorld world) : ITreeBackend<FakeMember>
{
    /// <summary>A step's exit code (a signal that ends, and is not the kill).</summary>
    internal const int ExitCode = 99;

    private readonly FakeTreeBackend _inner = new(world);
    private readonly HashSet<int> _ended = [];

    /// <summary>The console hosts: ended after every other member.</summary>
    internal HashSet<int> Hosts { get; init; } = [];

    /// <summary>False: freezing is not available (NtSuspendProcess not implemented).</summary>
    internal bool Freezes { get; init; } = true;

    internal int QuietChecks { get; private set; }

    internal int GroupSends { get; private set; }

    /// <summary>The pids ended, in order.</summary>
    internal List<int> Killed { get; } = [];

    public int KillSignal => Signal.SIGKILL;

    public string KillName => _inner.KillName;

    public string FreezeName => _inner.FreezeName;

    public string SendOperation => _inner.SendOperation;

    public TimeSpan StopLimit => TimeSpan.Zero;

    public TimeSpan SpinLimit => TimeSpan.Zero;

    public int ThawSignal => Signal.SIGCONT;

    public bool MembersKeepTheirPids => true;

    public bool FreezesAtOnce => true;

    public bool CanFreeze => Freezes;

    public bool WalksAfterExit => true;

    public string NotExitedHint => string.Empty;

    public void BeginRound()
    {
    }

    public bool ListChildren(FakeMember parent, List<int> into)
    {
        var all = new List<int>();
        _ = _inner.ListChildren(parent, all);
        into.AddRange(all.Where(pid => !world.Processes[pid].Exited));
        return true;
    }

    public bool HoldsPid(FakeMember member) => true;

    public FakeMember? Admit(int pid, Func<int, FakeMember?> liveMember)
    {
        FakeMember? member = _inner.Admit(pid, liveMember);
        if (member is not null && member.Process.Exited)
        {
            member.Exited = true;
        }

        return member;
    }

    public List<FakeMember> AdmitUnlisted(Func<int, FakeMember?> member)
    {
        var admitted = new List<FakeMember>();
        foreach (FakeProcess p in world.Processes.Values.Where(p => !p.Exited && !p.Reaped).ToList())
        {
            _ = Follow(p.Parent, member, admitted);
        }

        return admitted;
    }

    public void Freeze(FakeMember member)
    {
        FakeProcess p = member.Process;
        if (!Freezes || p.Exited || member.Stopped)
        {
            member.Exited |= p.Exited;
            return;
        }

        p.Received.Add(Signal.SIGSTOP);
        p.Stopped = true;
        member.Stopped = true;
        member.StoppedByUs = true;
    }

    public bool IsQuiet(FakeMember member, bool thorough)
    {
        QuietChecks++;
        return true;
    }

    public string DescribeNotStopped(FakeMember member) => member.Describe();

    public bool IsKill(int sig) => sig != Signal.SIGINT;

    public bool IsGroupSignal(int sig) => sig == Signal.SIGINT;

    public bool AlreadyEnded(FakeMember member) => _ended.Contains(member.Pid);

    public bool HasExited(FakeMember member) => member.Process.Exited;

    public List<FakeMember> SendOrder(List<FakeMember> live) => [.. live.Where(m => !Hosts.Contains(m.Pid)), .. live.Where(m => Hosts.Contains(m.Pid))];

    public int Send(FakeMember member, int sig)
    {
        FakeProcess p = member.Process;
        if (_ended.Contains(p.Pid))
        {
            return 0;
        }

        if (p.Exited)
        {
            return Errno.ESRCH;
        }

        p.Received.Add(sig);
        if (p.ForksAsItDies)
        {
            p.ForksAsItDies = false;
            world.Spawn(p.Pid);
        }

        p.Exited = true;
        _ended.Add(p.Pid);
        Killed.Add(p.Pid);
        return 0;
    }

    public bool SendToGroup(List<FakeMember> live, int sig)
    {
        if (live.Count == 0)
        {
            return false;
        }

        GroupSends++;
        Audit.RaiseKill(live[0].Pid, sig);
        foreach (FakeMember m in live)
        {
            m.Process.Received.Add(sig);
            m.Process.Exited = true;
        }

        return true;
    }

    public int Thaw(FakeMember member)
    {
        member.Process.Received.Add(Signal.SIGCONT);
        member.Process.Stopped = false;
        return 0;
    }

    public Task<List<FakeMember>> WaitForExitAsync(List<FakeMember> members, long deadline, CancellationToken cancellationToken) =>
        _inner.WaitForExitAsync(members, deadline, cancellationToken);

    /// <summary>The member that <paramref name="pid"/> is, or becomes when it has exited and its own parent is one (followed up the chain).</summary>
    private FakeMember? Follow(int pid, Func<int, FakeMember?> member, List<FakeMember> admitted)
    {
        if ((member(pid) ?? admitted.Find(m => m.Pid == pid)) is FakeMember known)
        {
            return known;
        }

        if (!world.Processes.TryGetValue(pid, out FakeProcess? p) || !p.Exited || p.Reaped || Follow(p.Parent, member, admitted) is null)
        {
            return null;
        }

        var held = new FakeMember(p) { Exited = true };
        admitted.Add(held);
        return held;
    }
}
