using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Linux.Cgroups;
using OsKill.Posix;

namespace OsKill.Linux.Tree;

/// <summary>
/// The Linux half of a tree kill: members are pidfds, children come from
/// /proc/PID/task/TID/children (or a scan of /proc/*/stat where the kernel lacks that file), the
/// freeze is SIGSTOP and the thaw SIGCONT, every signal goes through a pidfd, and the exits are
/// waited for with poll(2) on the pidfds.
/// </summary>
/// <remarks>
/// A new pid read from a member's children is admitted by opening a pidfd first, then reading its
/// /proc/PID/stat and checking that its parent is a live member (the pid may have been reused
/// between the read of the children and the open); the SIGSTOP that follows, through the pidfd,
/// proves by its success that the stat we read was of the process the pidfd names. A read that
/// fails for any reason but the process being gone (ENOENT, ESRCH) is an <see cref="OsException"/>:
/// out of descriptors, a member's children cannot be read, and taking it for childless would leave
/// its children running while the kill reports success.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed partial class LinuxTreeBackend : ITreeBackend<LinuxTreeMember>, IPriorityBoosting
{
    /// <summary>How long the members of one round may take to stop, after their SIGSTOP.</summary>
    internal static readonly TimeSpan DefaultStopLimit = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the freeze spins (yielding the CPU) while it waits for members to stop: SIGSTOP
    /// takes effect within microseconds for a member that can run. After it, members are polled with
    /// short sleeps, which cost no CPU at any priority.
    /// </summary>
    internal static readonly TimeSpan DefaultSpinLimit = TimeSpan.FromMilliseconds(2);

    private readonly bool _scanProc;

    private readonly int _rootPid;

    private byte[] _buffer = new byte[4096];

    private Dictionary<int, List<int>>? _scan;

    private bool _cgroup2Looked;

    private string? _cgroup2Mount;

    private string _cgroup2Root = "/";

    internal LinuxTreeBackend(int rootPid, bool scanProc)
    {
        _rootPid = rootPid;
        _scanProc = scanProc;
    }

    public int KillSignal => Signal.SIGKILL;

    public string KillName => "SIGKILL";

    public string FreezeName => "SIGSTOP";

    public int ThawSignal => Signal.SIGCONT;

    public string SendOperation => "pidfd_send_signal";

    public TimeSpan StopLimit => DefaultStopLimit;

    public TimeSpan SpinLimit => DefaultSpinLimit;

    public IDisposable Boost() => PriorityBoost.Raise();

    public void BeginRound() => _scan = _scanProc ? ScanProc() : null;

    public bool ListChildren(LinuxTreeMember parent, List<int> into)
    {
        if (_scan is not null)
        {
            if (_scan.TryGetValue(parent.Pid, out List<int>? list))
            {
                into.AddRange(list);
            }

            return true;
        }

        if (parent.Threads <= 1)
        {
            return ReadChildren(parent.Pid, parent.Pid, into);
        }

        bool any = false;
        foreach (int tid in Tasks(parent))
        {
            any |= ReadChildren(parent.Pid, tid, into);
        }

        return any;
    }

    /// <summary>Signal 0 through the pidfd: true while the process holds its pid (alive or a zombie), false once it has been reaped.</summary>
    public bool HoldsPid(LinuxTreeMember member) => Probe(member) == 0;

    public LinuxTreeMember? Admit(int pid, Func<int, LinuxTreeMember?> liveMember)
    {
        int fd = Libc.PidfdOpen(pid, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ESRCH)
            {
                return null; // exited and reaped since its parent listed it
            }

            throw OsException.FromErrno(errno, "pidfd_open", $"cannot open a pidfd for pid {pid}, a child found while freezing the process tree of pid {_rootPid}", pid, null);
        }

        var member = new LinuxTreeMember(pid, new SafePidfdHandle(fd, pid), ownsPidfd: true);
        bool admitted = false;
        ProcFs.Stat stat;
        try
        {
            // Gone, or its parent is no longer a live member: the pid was reused by a process
            // outside the tree, or the child was reparented away when its parent exited.
            admitted = TryReadStat(member, out stat) && liveMember(stat.ParentPid) is not null;
        }
        finally
        {
            if (!admitted)
            {
                member.Release(); // also when the read failed (EMFILE): the new pidfd must not leak
            }
        }

        if (!admitted)
        {
            return null;
        }

        member.AdmittedStat = stat;
        return member;
    }

    /// <summary>SIGSTOP through the pidfd, its audit event first; a success also proves that the stat read after the open was this process's.</summary>
    public void Freeze(LinuxTreeMember member)
    {
        ProcFs.Stat stat;
        if (member.AdmittedStat is ProcFs.Stat admitted)
        {
            stat = admitted;
            member.AdmittedStat = null;
        }
        else if (!TryReadStat(member, out stat))
        {
            member.MarkGone();
            return;
        }

        member.Threads = Math.Max(1, stat.Threads);
        if (TaskStates.IsExited(stat.State) && stat.Threads <= 1)
        {
            member.Exited = true;
            member.Stopped = true;
            return;
        }

        Audit.RaiseKill(member.Pid, Signal.SIGSTOP);
        int errno = Send(member, Signal.SIGSTOP);
        if (errno == Errno.ESRCH)
        {
            member.MarkGone();
            return;
        }

        if (errno != 0)
        {
            throw OsException.FromErrno(errno, SendOperation, OsException.Sending(Signal.SIGSTOP, member.Describe()) + " while freezing its process tree", member.Pid, Signal.SIGSTOP);
        }

        // A process that was stopped before we came is left stopped if the kill is abandoned.
        member.StoppedByUs = !TaskStates.IsStopped(stat.State);
    }

    public bool IsQuiet(LinuxTreeMember member, bool thorough)
    {
        bool read = TryReadStat(member, out ProcFs.Stat stat);

        // The stat is this member's only if the member still held its pid after we read it.
        if (Probe(member) == Errno.ESRCH)
        {
            member.MarkGone();
            return true;
        }

        if (!read)
        {
            return false;
        }

        member.Threads = Math.Max(1, stat.Threads);
        if (stat.Threads > 1)
        {
            return AllTasksQuiet(member, thorough);
        }

        if (TaskStates.IsExited(stat.State))
        {
            member.Exited = true;
        }

        return IsQuiet(member.Pid, member.Pid, stat.State, thorough);
    }

    /// <summary>"pid 42 (state D, uninterruptible sleep, in nfs_wait_bit_killable, traced by pid 7)": what a member that did not stop was doing, for the error.</summary>
    public string DescribeNotStopped(LinuxTreeMember member)
    {
        string proc = "/proc/" + member.Pid.ToString(CultureInfo.InvariantCulture);
        StringBuilder text = new StringBuilder("pid ").Append(member.Pid);
        if (ProcFs.ReadStat(proc + "/stat", ref _buffer, out ProcFs.Stat stat) != 0)
        {
            return text.Append(" (gone)").ToString();
        }

        text.Append(" (state ").Append(stat.State).Append(", ").Append(TaskStates.Name(stat.State));
        int n = ProcFs.Read(proc + "/wchan", ref _buffer);
        if (n > 0 && !_buffer.AsSpan(0, n).SequenceEqual("0"u8))
        {
            text.Append(", in ").Append(Encoding.ASCII.GetString(_buffer, 0, n).TrimEnd('\n'));
        }

        int tracer = ProcFs.ReadStatusNumber(proc + "/status", "TracerPid:"u8, ref _buffer);
        if (tracer > 0)
        {
            text.Append(", traced by pid ").Append(tracer);
        }

        if (member.Threads > 1)
        {
            text.Append(", one of ").Append(member.Threads).Append(" threads");
        }

        return text.Append(')').ToString();
    }

    public int Send(LinuxTreeMember member, int sig) => Pidfd.Send(member.Pidfd.FileDescriptor, member.Pid, sig);

    public int Thaw(LinuxTreeMember member)
    {
        Audit.RaiseKill(member.Pid, Signal.SIGCONT);
        return Send(member, Signal.SIGCONT);
    }

    /// <summary>
    /// Waits until the pidfd of every member is readable (the process has exited). A first poll
    /// that does not block usually finds them all gone; only otherwise does a pool thread wait in
    /// poll(2) until the deadline. Returns those still running then.
    /// </summary>
    public Task<List<LinuxTreeMember>> WaitForExitAsync(List<LinuxTreeMember> members, long deadline, CancellationToken cancellationToken)
    {
        // The first poll does not block, and so needs no cancellation (nor the eventfd that carries it).
        List<LinuxTreeMember> pending = WaitForExit(members, Deadline.After(TimeSpan.Zero), CancellationToken.None);
        if (pending.Count == 0 || Deadline.Passed(deadline))
        {
            return Task.FromResult(pending);
        }

        return Task.Run(() => WaitForExit(pending, deadline, cancellationToken), cancellationToken);
    }

    /// <summary>Signal 0 through the pidfd: 0 while the process holds its pid, ESRCH once it has been reaped.</summary>
    private static int Probe(LinuxTreeMember m) =>
        Libc.PidfdSendSignal(m.Pidfd.FileDescriptor, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    private List<LinuxTreeMember> WaitForExit(List<LinuxTreeMember> members, long deadline, CancellationToken cancellationToken)
    {
        var leases = new List<SafeHandleLease>(members.Count);
        try
        {
            var fds = new List<int>(members.Count);
            foreach (LinuxTreeMember m in members)
            {
                var lease = SafeHandleLease.Acquire(m.Pidfd);
                leases.Add(lease);
                fds.Add(lease.FileDescriptor);
            }

            using FdWait wait = NewWait(members, cancellationToken);
            List<int> pending = wait.WaitAll(fds, Libc.POLLIN, deadline);
            return pending.ConvertAll(i => members[i]);
        }
        finally
        {
            foreach (SafeHandleLease lease in leases)
            {
                lease.Dispose();
            }
        }
    }

    /// <summary>The wait for the exits of <paramref name="members"/>; its failure (EMFILE for the eventfd) names the first member's pid.</summary>
    private FdWait NewWait(List<LinuxTreeMember> members, CancellationToken cancellationToken)
    {
        try
        {
            return new FdWait(cancellationToken);
        }
        catch (OsException e)
        {
            throw OsException.FromErrno(e.Errno, e.Operation ?? "eventfd", $"cannot wait for the exit of {members.Count} member(s) of the process tree of pid {_rootPid}: {e.OsMessage}", _rootPid, null);
        }
    }

    private bool AllTasksQuiet(LinuxTreeMember m, bool thorough)
    {
        foreach (int tid in Tasks(m))
        {
            string path = $"/proc/{m.Pid}/task/{tid}/stat";
            int result = ProcFs.ReadStat(path, ref _buffer, out ProcFs.Stat stat);
            if (result != 0)
            {
                IsGone(result, path, m.Pid);
                continue; // the thread has gone
            }

            if (!IsQuiet(m.Pid, tid, stat.State, thorough))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether task <paramref name="tid"/> of member <paramref name="pid"/>, in
    /// <paramref name="state"/>, can fork no more: stopped, exited, waiting for a vfork child, or
    /// (looked for when <paramref name="thorough"/>) frozen by the cgroup v2 freezer.
    /// </summary>
    private bool IsQuiet(int pid, int tid, char state, bool thorough) =>
        TaskStates.IsStopped(state)
        || TaskStates.IsExited(state)
        || (state == 'D' && InVforkWait(pid, tid))
        || (thorough && state == 'S' && InFrozenCgroup(pid, tid));

    /// <summary>A parent in vfork waits in uninterruptible sleep until its child execs or exits; the wait shows in its wchan.</summary>
    private bool InVforkWait(int pid, int tid)
    {
        int n = ProcFs.Read($"/proc/{pid}/task/{tid}/wchan", ref _buffer);
        return n > 0 && TaskStates.IsVforkWait(_buffer.AsSpan(0, n).TrimEnd((byte)'\n'));
    }

    /// <summary>
    /// A task in a frozen cgroup v2 ("frozen 1" in cgroup.events) sleeps in the freezer on its way
    /// back to user space ('S', in get_signal): it cannot run, so it cannot fork, and it never stops
    /// for our SIGSTOP while frozen. Thawed, it meets the pending SIGSTOP before it runs a single
    /// instruction and stops. SIGKILL kills it frozen. The task must still be in that cgroup after
    /// the read of cgroup.events: one moved out of a frozen cgroup runs again.
    /// </summary>
    private bool InFrozenCgroup(int pid, int tid)
    {
        if (!_cgroup2Looked)
        {
            _cgroup2Looked = true;
            _cgroup2Mount = CgroupMount.Find(out _cgroup2Root, out _);
        }

        if (_cgroup2Mount is null)
        {
            return false;
        }

        string file = $"/proc/{pid}/task/{tid}/cgroup";
        string? path = ProcFs.ReadCgroupV2Path(file, ref _buffer);
        string? directory = path is null ? null : ProcFs.CgroupDirectory(_cgroup2Mount, _cgroup2Root, path);
        return directory is not null
            && ProcFs.IsCgroupFrozen(directory, ref _buffer)
            && ProcFs.ReadCgroupV2Path(file, ref _buffer) == path;
    }
}
