using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Linux.Cgroups;
using OsKill.Posix;

namespace OsKill.Linux.Tree;

/// <summary>
/// How a process tree is killed on Linux: freeze first, then kill.
/// </summary>
/// <remarks>
/// <para>1. Open a pidfd for the root and SIGSTOP it through the pidfd.</para>
/// <para>2. Rounds: read the children of every member (/proc/PID/task/TID/children, or a scan of
/// /proc/*/stat where the kernel lacks that file). For each new pid, open a pidfd first, then read
/// its /proc/PID/stat and check that its parent is a live member (the pid may have been reused
/// between the read of the children and the open), then SIGSTOP it through the pidfd; a success
/// proves that the stat we read was of the process the pidfd names. New members are walked in the
/// same round. Rounds follow each other until one finds nothing new; then the call waits until
/// every member is really stopped ('T' in its stat), a zombie, or gone, since SIGSTOP takes effect
/// asynchronously, or cannot fork (a vfork parent, a task in a frozen cgroup v2), and walks once
/// more. A round that finds nothing new while every member is stopped ends the freeze: stopped
/// processes cannot fork, so the set is closed.</para>
/// <para>3. SIGKILL every member through its pidfd, and poll(2) all the pidfds until each is
/// readable (the process has exited).</para>
/// <para>Every signal goes through a pidfd, never a pid, so nothing is sent to a process that reused
/// a member's pid. Each one raises the audit event <c>os.kill</c> with <c>(pid, sig)</c> first (see
/// <see cref="Audit"/>): a veto of a SIGSTOP continues what the freeze had stopped, and the SIGKILL
/// (or a stop step's signal) is all or nothing, its events raised for every member before any is sent. A member that exits by itself before it is stopped takes its children out of the
/// tree (they are reparented to init or a subreaper); <see cref="TreeKillResult.ExitedDuringWalk"/>
/// counts such members.</para>
/// </remarks>
internal sealed class LinuxProcessTree : IDisposable
{
    /// <summary>How long the members of one round may take to stop, after their SIGSTOP.</summary>
    internal static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the freeze spins (yielding the CPU) while it waits for members to stop: SIGSTOP
    /// takes effect within microseconds for a member that can run. After it, members are polled with
    /// short sleeps, which cost no CPU at any priority.
    /// </summary>
    internal static readonly TimeSpan SpinLimit = TimeSpan.FromMilliseconds(2);

    /// <summary>The longest sleep between two polls of members that have not stopped, in ms (the sleeps double from 1 ms).</summary>
    private const int MaxPollSleepMs = 16;

    /// <summary>How long the killed members may take to exit.</summary>
    internal static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(10);

    /// <summary>pidfd_open's PIDFD_THREAD (Linux 6.9+), which is O_EXCL: such a pidfd names one thread, and its fdinfo "flags:" carry the bit.</summary>
    private const int PidfdThread = 0x80;

    private static readonly bool s_haveChildrenFiles = File.Exists("/proc/thread-self/children");

    private readonly Dictionary<int, Member> _byPid = [];
    private readonly List<Member> _members = [];
    private readonly bool _scanProc;
    private byte[] _buffer = new byte[4096];
    private int _rounds;
    private int _exitedDuringWalk;
    private List<Member> _unstopped = [];
    private List<Member> _killed = [];
    private List<Exception> _errors = [];
    private bool _cgroup2Looked;
    private string? _cgroup2Mount;
    private string _cgroup2Root = "/";

    private LinuxProcessTree(bool scanProc)
    {
        _scanProc = scanProc;
    }

    /// <summary>Whether the kernel has /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN); without it each round scans /proc.</summary>
    internal static bool HaveChildrenFiles => s_haveChildrenFiles;

    /// <summary>Kills the tree of <paramref name="rootPid"/>; opens the root's pidfd itself.</summary>
    internal static async Task<TreeKillResult> KillAsync(int rootPid, bool scanProc, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        SafePidfdHandle root = OpenRoot(rootPid, nameof(rootPid));
        return await KillAsync(root, ownsRoot: true, rootPid, nameof(rootPid), scanProc, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the tree whose root the caller holds a pidfd for; the caller keeps the pidfd.</summary>
    internal static async Task<TreeKillResult> KillAsync(SafePidfdHandle root, bool scanProc, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        return await WithCallersRootAsync(
            root,
            rootPid => KillAsync(root, ownsRoot: false, rootPid, nameof(root), scanProc, started, cancellationToken)).ConfigureAwait(false);
    }

    public void Dispose()
    {
        foreach (Member m in _members)
        {
            if (m.OwnsPidfd)
            {
                m.Pidfd.Dispose();
            }
        }
    }

    /// <summary>
    /// Opens a pidfd for the root. pidfd_open refuses a thread id that is not its process's leader
    /// (ENOENT since Linux 6.9, EINVAL before); that becomes an <see cref="ArgumentException"/> that
    /// names the pid and its process.
    /// </summary>
    internal static SafePidfdHandle OpenRoot(int pid, string paramName)
    {
        try
        {
            return Pidfd.Open(pid, 0);
        }
        catch (OsException e) when (IsThreadId(pid, e, out int process))
        {
            throw ThreadIdRefused(pid, process, paramName, e);
        }
    }

    /// <summary>Whether pidfd_open failed with <paramref name="e"/> because <paramref name="pid"/> is a thread that does not lead its process, <paramref name="process"/>.</summary>
    internal static bool IsThreadId(int pid, OsException e, out int process)
    {
        process = e.Errno is Errno.ENOENT or Errno.EINVAL ? ProcFs.ThreadGroupOf(pid) : -1;
        return process > 0 && process != pid;
    }

    /// <summary>The refusal of a root pid that is a thread id: of the caller or an ancestor (whose SIGSTOP would stop the caller), or of another process.</summary>
    internal static ArgumentException ThreadIdRefused(int pid, int process, string paramName, Exception inner) => new(
        ProcFs.CallerAndAncestors().Contains(process)
            ? $"Refusing to kill or stop a process tree from pid {pid}: pid {pid} is a thread of {Who(process)} (pid {process}), not a process, " +
              "and SIGSTOP to any thread stops its whole process: the caller would stop itself half-way."
            : $"Cannot kill or stop the process tree of pid {pid}: pid {pid} is a thread of process {process}, not a process (pidfd_open refuses it). " +
              $"A tree has a process at its root: pass pid {process} for that process's tree.",
        paramName,
        inner);

    /// <summary>
    /// The pid that a pidfd names, from /proc/self/fdinfo ("Pid:" is −1 once the process has been
    /// reaped). A thread pidfd (PIDFD_THREAD) is refused: its "Pid:" is a thread id, which no check
    /// against the caller's pid and ancestors would catch, and a SIGSTOP to any thread stops its
    /// whole process.
    /// </summary>
    internal static int PidOfPidfd(SafePidfdHandle pidfd)
    {
        int fd = pidfd.FileDescriptor;
        string path = "/proc/self/fdinfo/" + fd.ToString(CultureInfo.InvariantCulture);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new ArgumentException($"Cannot read {path} to find the process that {pidfd} names: {e.Message}", nameof(pidfd), e);
        }

        int flags = 0;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("flags:", StringComparison.Ordinal))
            {
                flags = Convert.ToInt32(line[6..].Trim(), 8);
            }
            else if (line.StartsWith("Pid:", StringComparison.Ordinal))
            {
                int pid = int.Parse(line.AsSpan(4).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                if (pid == -1)
                {
                    throw OsException.FromErrno(Errno.ESRCH, "pidfd", $"cannot kill the process tree of {pidfd}: the process has exited and been reaped", pidfd.Pid, null);
                }

                if (pid == 0)
                {
                    throw new ArgumentException($"{pidfd} names a process in another pid namespace, whose pid this process cannot see; its tree cannot be walked from here.", nameof(pidfd));
                }

                if ((flags & PidfdThread) != 0)
                {
                    throw ThreadPidfdRefused(pidfd, pid);
                }

                return pid;
            }
        }

        throw new ArgumentException($"{pidfd} is not a pidfd: {path} has no \"Pid:\" line.", nameof(pidfd));
    }

    private static ArgumentException ThreadPidfdRefused(SafePidfdHandle pidfd, int tid)
    {
        int process = ProcFs.ThreadGroupOf(tid);
        return new ArgumentException(
            process > 0 && ProcFs.CallerAndAncestors().Contains(process)
                ? $"Refusing to kill or stop the process tree of {pidfd}: it is a thread pidfd (PIDFD_THREAD) for thread {tid} of {Who(process)} (pid {process}), " +
                  "and SIGSTOP to any thread stops its whole process: the caller would stop itself half-way."
                : $"{pidfd} is a thread pidfd (PIDFD_THREAD) for thread {tid}{(process > 0 ? $" of process {process}" : string.Empty)}: a process tree needs a pidfd " +
                  $"for its root process. Open one without PIDFD_THREAD: Os.PidfdOpen({(process > 0 ? process : tid)}).",
            nameof(pidfd));
    }

    private static string Who(int pid) => pid == Environment.ProcessId ? "the calling process" : "an ancestor of the calling process";

    private static async Task<TreeKillResult> KillAsync(SafePidfdHandle root, bool ownsRoot, int rootPid, string paramName, bool scanProc, Stopwatch started, CancellationToken cancellationToken)
    {
        using var tree = new LinuxProcessTree(scanProc);
        Task<List<Member>> exits;
        using (PriorityBoost.Raise())
        {
            exits = tree.FreezeAndKill(root, ownsRoot, rootPid, paramName, cancellationToken);
        }

        return await tree.FinishAsync(exits, rootPid, started).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the pid that the caller's pidfd names, with the pidfd
    /// referenced throughout, so that it cannot be closed (and its number reused) under the work.
    /// </summary>
    private static async Task<T> WithCallersRootAsync<T>(SafePidfdHandle root, Func<int, Task<T>> work)
    {
        bool added = false;
        try
        {
            root.DangerousAddRef(ref added);
            return await work(PidOfPidfd(root)).ConfigureAwait(false);
        }
        finally
        {
            if (added)
            {
                root.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Freezes and kills, synchronously, on the calling thread (raised in priority by the caller,
    /// see <see cref="PriorityBoost"/>). Returns the wait for the exits of the killed members, which has
    /// already completed when they all exited at once.
    /// </summary>
    private Task<List<Member>> FreezeAndKill(SafePidfdHandle rootPidfd, bool ownsRoot, int rootPid, string paramName, CancellationToken cancellationToken)
    {
        AddRoot(rootPidfd, ownsRoot, rootPid, paramName);
        FreezeOrThaw(rootPid, cancellationToken);

        // Never leave a tree stopped: with some member not stopped, everything found is killed
        // all the same, and FinishAsync reports that the freeze was not confirmed.
        _exitedDuringWalk = _members.Count(m => m.Exited);
        AuditAllOrThaw(Signal.SIGKILL, rootPid);
        _killed = KillAll(out _errors);
        return WaitForExitAsync(_killed, ExitLimit, cancellationToken);
    }

    /// <summary>Makes the root the first member, after checking that its tree does not hold the caller.</summary>
    private void AddRoot(SafePidfdHandle rootPidfd, bool ownsRoot, int rootPid, string paramName)
    {
        var root = new Member(rootPid, rootPidfd, ownsRoot);
        Add(root);

        // Never freeze ourselves: the tree of an ancestor holds us, and a stopped caller cannot
        // finish the kill (pid 1 is every process's ancestor, so it is refused here too). Ancestors
        // can only go away, never be added, so checking once before anything is sent is enough.
        // The root's thread group is checked too, should a thread id ever get this far.
        HashSet<int> refused = ProcFs.CallerAndAncestors();
        int process = ProcFs.ThreadGroupOf(rootPid) is int tgid && tgid > 0 ? tgid : rootPid;
        if (refused.Contains(rootPid) || refused.Contains(process))
        {
            string who = rootPid == Environment.ProcessId ? "the calling process itself" : (process != rootPid ? "a thread of " : string.Empty) + Who(process);
            throw new ArgumentException(
                $"Refusing to kill or stop the process tree of pid {rootPid}: it is {who} (pid {Environment.ProcessId}), so the tree holds the caller, which would stop itself half-way.",
                paramName);
        }
    }

    /// <summary>
    /// Freezes the tree (every live member found so far, and everything they forked), adding the
    /// rounds to <see cref="_rounds"/> and leaving the members that did not stop in
    /// <see cref="_unstopped"/>. On an error, a vetoed SIGSTOP or cancellation, continues what it
    /// stopped and rethrows.
    /// </summary>
    private void FreezeOrThaw(int rootPid, CancellationToken cancellationToken) =>
        OrThaw(rootPid, "Freezing", () => _rounds += Freeze(out _unstopped, cancellationToken));

    /// <summary>
    /// Raises <c>os.kill</c> for <paramref name="sig"/> to every live member, before any is sent:
    /// a veto of one sends it to none. On a veto, continues the frozen tree and rethrows.
    /// </summary>
    private void AuditAllOrThaw(int sig, int rootPid) =>
        OrThaw(rootPid, $"Sending {OsException.SignalText(sig)} to", () =>
        {
            foreach (Member m in Live())
            {
                Audit.RaiseKill(m.Pid, sig);
            }
        });

    /// <summary>
    /// Runs <paramref name="work"/>; when it throws, continues every member we stopped and
    /// rethrows the exception unchanged, or, when continuing failed too, all of them together.
    /// </summary>
    private void OrThaw(int rootPid, string what, Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            List<Exception> thawErrors = Continue(all: false, " to continue it after the tree kill failed");
            if (thawErrors.Count == 0)
            {
                throw;
            }

            thawErrors.Insert(0, e);
            throw new AggregateException($"{what} the process tree of pid {rootPid} failed, and so did continuing its stopped members.", thawErrors);
        }
    }

    /// <summary>
    /// Stops the tree of <paramref name="root"/> step by step: each step freezes the tree (every
    /// member found so far, and everything they have forked since), sends the step's signal to every
    /// member through its pidfd, continues them all (a stopped process cannot act on a polite
    /// signal: systemd sends SIGCONT after its stop signal for the same reason), and waits until
    /// every member has exited or the step's time is up. A SIGKILL step is a freeze and a kill, as in
    /// <see cref="KillAsync(SafePidfdHandle, bool, CancellationToken)"/>. A member that was reparented
    /// away during an earlier step is still held by its pidfd, so later steps still reach it and
    /// what it forks.
    /// </summary>
    internal static async Task<TreeStopResult> StopAsync(SafePidfdHandle root, StopOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        return await WithCallersRootAsync(root, rootPid => StopAsync(root, rootPid, options, clock, cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<TreeStopResult> StopAsync(SafePidfdHandle root, int rootPid, StopOptions options, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var tree = new LinuxProcessTree(scanProc: !HaveChildrenFiles);
        tree.AddRoot(root, ownsRoot: false, rootPid, nameof(root));
        int killed = 0;
        for (int i = 0; i < options.Steps.Count; i++)
        {
            StopStep step = options.Steps[i];
            List<Member> reached;
            List<Exception> errors;
            using (PriorityBoost.Raise())
            {
                tree.FreezeOrThaw(rootPid, cancellationToken);
                tree.AuditAllOrThaw(step.Signal, rootPid);
                if (step.Signal == Signal.SIGKILL)
                {
                    reached = tree.KillAll(out errors);
                    killed += reached.Count;
                }
                else
                {
                    reached = tree.SignalAll(step.Signal, " while stopping its process tree", out errors);
                    errors.AddRange(tree.Continue(all: true, " to let it act on the stop signal"));
                }
            }

            if (tree._unstopped.Count > 0)
            {
                errors.Insert(0, new TimeoutException(
                    $"The process tree of pid {rootPid} was not completely frozen for {OsException.SignalText(step.Signal)}: {NotStopped(tree._unstopped)} within {StopLimit.TotalSeconds:0} s of its SIGSTOP. " +
                    $"The signal went to every member found, but a child that {ItOrThey(tree._unstopped)} forked after the last walk, if any, was not found."));
            }

            if (errors.Count > 0)
            {
                throw errors.Count == 1 ? errors[0] : new AggregateException($"Stopping the process tree of pid {rootPid} failed.", errors);
            }

            if (reached.Count == 0)
            {
                // Nothing was alive to receive this step's signal: the previous step ended the tree.
                return TreeStopResult.EndedAfter(i == 0 ? null : i - 1, options, clock.Elapsed, tree._members.Count, killed, tree._rounds);
            }

            List<Member> left = await WaitForExitAsync(reached, step.Timeout, cancellationToken).ConfigureAwait(false);
            if (left.Count == 0)
            {
                return TreeStopResult.EndedAfter(i, options, clock.Elapsed, tree._members.Count, killed, tree._rounds);
            }
        }

        return TreeStopResult.NotEnded(clock.Elapsed, tree._members.Count, killed, tree._rounds);
    }

    /// <summary>
    /// Sends <paramref name="sig"/> to every live member through its pidfd, its audit events
    /// already raised by <see cref="AuditAllOrThaw"/>. Returns those it reached; a member found
    /// reaped is marked gone, and any other error is collected, its message ending with
    /// <paramref name="purpose"/>.
    /// </summary>
    private List<Member> SignalAll(int sig, string purpose, out List<Exception> errors)
    {
        errors = [];
        var reached = new List<Member>(_members.Count);
        foreach (Member m in Live())
        {
            int errno = Send(m, sig);
            if (errno == 0)
            {
                reached.Add(m);
            }
            else if (errno == Errno.ESRCH)
            {
                MarkGone(m);
            }
            else
            {
                errors.Add(OsException.FromErrno(errno, "pidfd_send_signal", OsException.Sending(sig, m.Describe()) + purpose, m.Pid, sig));
            }
        }

        return reached;
    }

    /// <summary>
    /// SIGCONT, each raising its audit event first, to every live member (<paramref name="all"/>:
    /// after a stop step's signal, which a stopped process cannot act on) or only to those we
    /// stopped (after a failed, vetoed or cancelled freeze or kill: a member that was stopped before
    /// we came stays stopped). A veto or an error for one member does not keep the others stopped.
    /// Returns the vetoes and errors (ESRCH is not one), messages ending with <paramref name="purpose"/>.
    /// </summary>
    private List<Exception> Continue(bool all, string purpose)
    {
        var errors = new List<Exception>();
        foreach (Member m in Live().Where(m => all || m.StoppedByUs).ToList())
        {
            try
            {
                Audit.RaiseKill(m.Pid, Signal.SIGCONT);
            }
#pragma warning disable CA1031 // A hook's veto of one SIGCONT is reported with the rest; the other members are still continued.
            catch (Exception e)
#pragma warning restore CA1031
            {
                errors.Add(e);
                continue;
            }

            int errno = Send(m, Signal.SIGCONT);
            if (errno == 0)
            {
                m.Stopped = false;
                m.StoppedByUs = false;
            }
            else if (errno == Errno.ESRCH)
            {
                MarkGone(m);
            }
            else
            {
                errors.Add(OsException.FromErrno(errno, "pidfd_send_signal", OsException.Sending(Signal.SIGCONT, m.Describe()) + purpose, m.Pid, Signal.SIGCONT));
            }
        }

        return errors;
    }

    /// <summary>The members not known to have exited.</summary>
    private IEnumerable<Member> Live() => _members.Where(m => !m.Gone && !m.Exited);

    /// <summary>Waits for the exits, then reports: the result, or every error, the freeze timeout first.</summary>
    private async Task<TreeKillResult> FinishAsync(Task<List<Member>> exits, int rootPid, Stopwatch started)
    {
        List<Member> left = await exits.ConfigureAwait(false);
        if (_unstopped.Count > 0)
        {
            // Say what happened: which members did not stop, in what state, that they were killed
            // with the rest, whether all have exited, and the one thing that is not known.
            string all = _killed.Count == 1 ? "The only member found was" : $"All {_killed.Count} members found were";
            string outcome = left.Count == 0
                ? $"{all} sent SIGKILL and have exited"
                : $"{all} sent SIGKILL, but {left.Count} had not exited after {ExitLimit.TotalSeconds:0} s: {Pids(left)}";
            _errors.Insert(0, new TimeoutException(
                $"The process tree of pid {rootPid} was killed without a complete freeze: {NotStopped(_unstopped)} within {StopLimit.TotalSeconds:0} s of its SIGSTOP. " +
                $"{outcome}; a child that {ItOrThey(_unstopped)} forked after the last walk, if any, was not found and may still be running."));
        }
        else if (left.Count > 0)
        {
            _errors.Add(new TimeoutException(
                $"SIGKILL reached all {_killed.Count} member(s) of the process tree of pid {rootPid}, but {left.Count} had not exited after {ExitLimit.TotalSeconds:0} s " +
                $"(a process in uninterruptible sleep dies when it wakes): {Pids(left)}."));
        }

        if (_errors.Count > 0)
        {
            throw _errors.Count == 1 ? _errors[0] : new AggregateException($"Killing the process tree of pid {rootPid} failed.", _errors);
        }

        return new TreeKillResult(_killed.ConvertAll(m => m.Pid), _rounds, _exitedDuringWalk, started.Elapsed);
    }

    /// <summary>Stops the whole tree. Returns the number of rounds, and the members that did not stop within <see cref="StopLimit"/> (empty on success).</summary>
    private int Freeze(out List<Member> unstopped, CancellationToken cancellationToken)
    {
        // The root on the first freeze; on a later one (a stop that escalates) every member that was
        // continued after the previous step's signal.
        foreach (Member m in _members.Where(m => !m.Gone && !m.Exited && !m.Stopped).ToList())
        {
            if (ReadStat(m, out ProcFs.Stat stat) == 0)
            {
                Stop(m, stat);
            }
            else
            {
                MarkGone(m);
            }
        }

        int rounds = 0;
        while (true)
        {
            // Walk until a walk finds nothing new. Members are not waited for in between: SIGSTOP
            // has been sent to each, and a walk of a member that has not stopped yet sees what it
            // has forked so far; the next walk sees the rest.
            int added;
            do
            {
                rounds++;
                added = Walk();
                cancellationToken.ThrowIfCancellationRequested();
            }
            while (added > 0);

            unstopped = WaitUntilStopped(cancellationToken);
            if (unstopped.Count > 0)
            {
                return rounds;
            }

            // Every member is now stopped, a zombie or gone, and so cannot fork: a walk that finds
            // nothing new proves that the tree is closed.
            rounds++;
            if (Walk() == 0)
            {
                return rounds;
            }
        }
    }

    /// <summary>
    /// One round: reads the children of every live member, breadth first, admitting and stopping
    /// new ones and walking them too. Returns how many members were added.
    /// </summary>
    private int Walk()
    {
        Dictionary<int, List<int>>? scan = _scanProc ? ScanProc() : null;
        var queue = new Queue<Member>(_members.Where(m => !m.Gone && !m.Exited));
        var children = new List<int>();
        int added = 0;
        while (queue.Count > 0)
        {
            Member parent = queue.Dequeue();
            children.Clear();
            if (scan is not null)
            {
                if (scan.TryGetValue(parent.Pid, out List<int>? list))
                {
                    children.AddRange(list);
                }
            }
            else if (!ReadChildren(parent, children))
            {
                continue;
            }

            // The list is the member's only if the member still held its pid after we read it.
            if (Probe(parent) != 0)
            {
                MarkGone(parent);
                continue;
            }

            foreach (int pid in children)
            {
                if (_byPid.TryGetValue(pid, out Member? known) && !known.Gone)
                {
                    if (Probe(known) == 0)
                    {
                        continue;
                    }

                    // The member was reaped and its pid reused by this child.
                    MarkGone(known);
                }

                Member? child = Admit(pid);
                if (child is not null)
                {
                    added++;
                    queue.Enqueue(child);
                }
            }
        }

        return added;
    }

    /// <summary>
    /// Opens a pidfd for a pid just read from a member's children, checks that it is still the
    /// child of a live member, and stops it. Returns null when it is not (or no longer) a member.
    /// </summary>
    private Member? Admit(int pid)
    {
        int fd = Libc.PidfdOpen(pid, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ESRCH)
            {
                return null; // exited and reaped since its parent listed it
            }

            throw OsException.FromErrno(errno, "pidfd_open", $"cannot open a pidfd for pid {pid}, a child found while freezing the process tree", pid, null);
        }

        var member = new Member(pid, new SafePidfdHandle(fd, pid), owns: true);
        int error = ReadStat(member, out ProcFs.Stat stat);
        if (error != 0
            || !_byPid.TryGetValue(stat.ParentPid, out Member? parent)
            || parent.Gone
            || Probe(parent) != 0)
        {
            // Gone, or its parent is no longer a live member: the pid was reused by a process
            // outside the tree, or the child was reparented away when its parent exited.
            member.Pidfd.Dispose();
            return null;
        }

        if (_byPid.TryGetValue(pid, out Member? old))
        {
            _members.Remove(old);
            if (old.OwnsPidfd)
            {
                old.Pidfd.Dispose();
            }
        }

        Add(member);
        Stop(member, stat);
        return member;
    }

    /// <summary>SIGSTOP through the pidfd; a success also proves that <paramref name="stat"/> (read after the open) was this process's.</summary>
    private static void Stop(Member member, in ProcFs.Stat stat)
    {
        member.Threads = Math.Max(1, stat.Threads);
        if (IsExited(stat.State) && stat.Threads <= 1)
        {
            member.Exited = true;
            member.Stopped = true;
            return;
        }

        Audit.RaiseKill(member.Pid, Signal.SIGSTOP);
        int errno = Send(member, Signal.SIGSTOP);
        if (errno == Errno.ESRCH)
        {
            MarkGone(member);
            return;
        }

        if (errno != 0)
        {
            throw OsException.FromErrno(errno, "pidfd_send_signal", OsException.Sending(Signal.SIGSTOP, member.Describe()) + " while freezing its process tree", member.Pid, Signal.SIGSTOP);
        }

        // A process that was stopped before we came is left stopped if the kill is abandoned.
        member.StoppedByUs = !IsStopped(stat.State);
    }

    /// <summary>
    /// Waits until every member is stopped, a zombie, gone or otherwise unable to fork (in vfork
    /// wait, in a frozen cgroup), bounded by <see cref="StopLimit"/>. It spins (yielding the CPU)
    /// for <see cref="SpinLimit"/> only, then polls with sleeps of 1 ms doubling to
    /// <see cref="MaxPollSleepMs"/>: a member that takes longer waits for something (I/O, a tracer),
    /// and a caller at nice −20 that spun for it would take the CPU from the very members it
    /// waits for. Returns the members that had not stopped by the limit, each with what it was
    /// doing (<see cref="Member.NotStopped"/>): empty on success.
    /// </summary>
    private List<Member> WaitUntilStopped(CancellationToken cancellationToken)
    {
        var pending = _members.Where(m => !m.Stopped && !m.Gone).ToList();
        long deadline = Deadline.After(StopLimit);
        long spinEnd = Deadline.After(SpinLimit);
        var spinner = default(SpinWait);
        int sleepMs = 1;
        while (true)
        {
            // A frozen cgroup is looked for only past the spin: it costs a few reads per member.
            bool slow = Stopwatch.GetTimestamp() >= spinEnd;
            int kept = 0;
            for (int i = 0; i < pending.Count; i++)
            {
                if (!CheckStopped(pending[i], slow))
                {
                    pending[kept++] = pending[i];
                }
            }

            pending.RemoveRange(kept, pending.Count - kept);
            if (pending.Count == 0)
            {
                return pending;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                foreach (Member m in pending)
                {
                    m.NotStopped = DescribeNotStopped(m);
                }

                return pending;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!slow)
            {
                // SIGSTOP takes effect when the process next runs; give it the CPU.
                spinner.SpinOnce(sleep1Threshold: -1);
            }
            else
            {
                cancellationToken.WaitHandle.WaitOne(sleepMs);
                sleepMs = Math.Min(sleepMs * 2, MaxPollSleepMs);
            }
        }
    }

    /// <summary>
    /// Reads the member's state; true once it is stopped, a zombie or gone, or cannot fork (vfork
    /// wait; with <paramref name="slow"/>, a frozen cgroup).
    /// </summary>
    private bool CheckStopped(Member m, bool slow)
    {
        int read = ReadStat(m, out ProcFs.Stat stat);

        // The stat is this member's only if the member still held its pid after we read it.
        if (Probe(m) == Errno.ESRCH)
        {
            MarkGone(m);
            return true;
        }

        if (read != 0)
        {
            return false;
        }

        m.Threads = Math.Max(1, stat.Threads);
        bool quiet;
        if (stat.Threads <= 1)
        {
            quiet = IsQuiet(m.Pid, m.Pid, stat.State, slow);
            if (IsExited(stat.State))
            {
                m.Exited = true;
            }
        }
        else
        {
            quiet = AllTasksQuiet(m, slow);
        }

        m.Stopped = quiet;
        return quiet;
    }

    private bool AllTasksQuiet(Member m, bool slow)
    {
        foreach (int tid in Tasks(m))
        {
            string path = $"/proc/{m.Pid}/task/{tid}/stat";
            if (ProcFs.ReadStat(path, ref _buffer, out ProcFs.Stat stat) != 0)
            {
                continue; // the thread has gone
            }

            if (!IsQuiet(m.Pid, tid, stat.State, slow))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether task <paramref name="tid"/> of member <paramref name="pid"/>, in
    /// <paramref name="state"/>, can fork no more: stopped, exited, waiting for a vfork child, or
    /// (looked for when <paramref name="slow"/>) frozen by the cgroup v2 freezer.
    /// </summary>
    private bool IsQuiet(int pid, int tid, char state, bool slow) =>
        IsStopped(state)
        || IsExited(state)
        || (state == 'D' && InVforkWait(pid, tid))
        || (slow && state == 'S' && InFrozenCgroup(pid, tid));

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
            _cgroup2Mount = CgroupContainer.FindMount(out _cgroup2Root);
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

    /// <summary>"pid 42 (state D, uninterruptible sleep, in nfs_wait_bit_killable, traced by pid 7)": what a member that did not stop was doing, for the error.</summary>
    private string DescribeNotStopped(Member m)
    {
        string proc = "/proc/" + m.Pid.ToString(CultureInfo.InvariantCulture);
        StringBuilder text = new StringBuilder("pid ").Append(m.Pid);
        if (ReadStat(m, out ProcFs.Stat stat) != 0)
        {
            return text.Append(" (gone)").ToString();
        }

        text.Append(" (state ").Append(stat.State).Append(", ").Append(StateName(stat.State));
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

        if (m.Threads > 1)
        {
            text.Append(", one of ").Append(m.Threads).Append(" threads");
        }

        return text.Append(')').ToString();
    }

    private static string StateName(char state) => state switch
    {
        'R' => "running",
        'S' => "sleeping",
        'D' => "uninterruptible sleep",
        'T' => "stopped",
        't' => "stopped by its tracer",
        'Z' => "zombie",
        'X' or 'x' => "dead",
        'I' => "idle",
        'P' => "parked",
        'W' => "waking",
        _ => "unknown state",
    };

    /// <summary>
    /// A parent in vfork waits in uninterruptible sleep until its child execs or exits, and cannot
    /// run (or fork) before then; its child is a member. The wait shows as kernel_clone (or
    /// wait_for_vfork_done) in /proc/PID/task/TID/wchan.
    /// </summary>
    private bool InVforkWait(int pid, int tid)
    {
        int n = ProcFs.Read($"/proc/{pid}/task/{tid}/wchan", ref _buffer);
        if (n <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> wchan = _buffer.AsSpan(0, n).TrimEnd((byte)'\n');
        return wchan.SequenceEqual("kernel_clone"u8) || wchan.SequenceEqual("wait_for_vfork_done"u8) || wchan.SequenceEqual("_do_fork"u8);
    }

    /// <summary>SIGKILL to every member that is not known to have exited. Returns those it reached.</summary>
    private List<Member> KillAll(out List<Exception> errors) =>
        SignalAll(Signal.SIGKILL, " while killing its process tree", out errors);

    /// <summary>
    /// Waits until the pidfd of every killed member is readable (the process has exited). A first
    /// poll that does not block usually finds them all gone; only otherwise does a pool thread wait
    /// in poll(2), bounded by <see cref="ExitLimit"/>. Returns those still running at the limit.
    /// </summary>
    private static async Task<List<Member>> WaitForExitAsync(List<Member> killed, TimeSpan limit, CancellationToken cancellationToken)
    {
        List<Member> pending = WaitForExit(killed, Stopwatch.GetTimestamp(), cancellationToken);
        if (pending.Count == 0 || limit == TimeSpan.Zero)
        {
            return pending;
        }

        long deadline = Deadline.After(limit);
        return await Task.Run(() => WaitForExit(pending, deadline, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private static List<Member> WaitForExit(List<Member> killed, long deadline, CancellationToken cancellationToken)
    {
        var fds = new List<int>(killed.Count);
        var refs = new List<Member>(killed.Count);
        try
        {
            foreach (Member m in killed)
            {
                bool added = false;
                m.Pidfd.DangerousAddRef(ref added);
                refs.Add(m);
                fds.Add(m.Pidfd.FileDescriptor);
            }

            using var wait = new FdWait(cancellationToken);
            List<int> pending = wait.WaitAll(fds, Libc.POLLIN, deadline);
            return pending.ConvertAll(i => killed[i]);
        }
        finally
        {
            foreach (Member m in refs)
            {
                m.Pidfd.DangerousRelease();
            }
        }
    }

    private bool ReadChildren(Member m, List<int> into)
    {
        if (m.Threads <= 1)
        {
            int n = ProcFs.Read($"/proc/{m.Pid}/task/{m.Pid}/children", ref _buffer);
            if (n < 0)
            {
                return false;
            }

            ProcFs.ParseNumbers(_buffer.AsSpan(0, n), into);
            return true;
        }

        bool any = false;
        foreach (int tid in Tasks(m))
        {
            int n = ProcFs.Read($"/proc/{m.Pid}/task/{tid}/children", ref _buffer);
            if (n >= 0)
            {
                any = true;
                ProcFs.ParseNumbers(_buffer.AsSpan(0, n), into);
            }
        }

        return any;
    }

    private static List<int> Tasks(Member m)
    {
        var tids = new List<int>();
        try
        {
            foreach (string dir in Directory.EnumerateDirectories($"/proc/{m.Pid}/task"))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int tid))
                {
                    tids.Add(tid);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }

        return tids;
    }

    /// <summary>The parent→children map of every process, from /proc/*/stat: the walk where the kernel has no children files.</summary>
    private Dictionary<int, List<int>> ScanProc()
    {
        var map = new Dictionary<int, List<int>>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            if (ProcFs.ReadStat(dir + "/stat", ref _buffer, out ProcFs.Stat stat) != 0)
            {
                continue;
            }

            if (!map.TryGetValue(stat.ParentPid, out List<int>? list))
            {
                map[stat.ParentPid] = list = [];
            }

            list.Add(pid);
        }

        return map;
    }

    private int ReadStat(Member m, out ProcFs.Stat stat) =>
        ProcFs.ReadStat("/proc/" + m.Pid.ToString(CultureInfo.InvariantCulture) + "/stat", ref _buffer, out stat);

    /// <summary>Signal 0 through the pidfd: 0 while the process holds its pid (alive or a zombie), ESRCH once it has been reaped.</summary>
    private static int Probe(Member m) =>
        Libc.PidfdSendSignal(m.Pidfd.FileDescriptor, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    private static int Send(Member m, int sig) => Pidfd.Send(m.Pidfd.FileDescriptor, m.Pid, sig);

    private static void MarkGone(Member m)
    {
        m.Gone = true;
        m.Exited = true;
        m.Stopped = true;
    }

    private void Add(Member m)
    {
        _byPid[m.Pid] = m;
        _members.Add(m);
    }

    private static bool IsStopped(char state) => state is 'T' or 't';

    private static bool IsExited(char state) => state is 'Z' or 'X' or 'x';

    /// <summary>"pid 42 (state D, ...) did not stop", or "pids 42 (...), 43 (...) did not stop".</summary>
    private static string NotStopped(List<Member> members) =>
        (members.Count == 1 ? string.Empty : "pids: ") +
        string.Join(", ", members.Take(20).Select(m => m.NotStopped ?? $"pid {m.Pid}")) +
        (members.Count > 20 ? $" and {members.Count - 20} more" : string.Empty) + " did not stop";

    private static string ItOrThey(List<Member> members) => members.Count == 1 ? "it" : "they";

    private static string Pids(List<Member> members) =>
        string.Join(", ", members.Take(20).Select(m => m.Pid.ToString(CultureInfo.InvariantCulture))) + (members.Count > 20 ? $" and {members.Count - 20} more" : string.Empty);

    private sealed class Member
    {
        internal Member(int pid, SafePidfdHandle pidfd, bool owns)
        {
            Pid = pid;
            Pidfd = pidfd;
            OwnsPidfd = owns;
        }

        internal int Pid { get; }

        internal SafePidfdHandle Pidfd { get; }

        internal bool OwnsPidfd { get; }

        internal int Threads { get; set; } = 1;

        /// <summary>Stopped, in vfork wait, exited or gone: it can fork no more.</summary>
        internal bool Stopped { get; set; }

        /// <summary>We stopped it (it was running before): continue it if the kill is abandoned.</summary>
        internal bool StoppedByUs { get; set; }

        /// <summary>Seen as a zombie, or reaped, before the kill.</summary>
        internal bool Exited { get; set; }

        /// <summary>Reaped: the pidfd names no process any more, and the pid may belong to someone else.</summary>
        internal bool Gone { get; set; }

        /// <summary>What the member was doing when it had still not stopped at <see cref="StopLimit"/>, for the error; null otherwise.</summary>
        internal string? NotStopped { get; set; }

        internal string Describe() => $"pidfd {Pidfd.FileDescriptor.ToString(CultureInfo.InvariantCulture)} (pid {Pid.ToString(CultureInfo.InvariantCulture)})";
    }
}
