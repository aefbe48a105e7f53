using System.Diagnostics;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Linux.Tree;

/// <summary>
/// How a process tree is killed or stopped on Linux: the shared <see cref="TreeSkeleton{TMember}"/>
/// over pidfds (<see cref="LinuxTreeBackend"/>), freezing with SIGSTOP before anything is killed.
/// This class opens the root and refuses the roots whose tree would hold the caller.
/// </summary>
/// <remarks>
/// <para>1. Open a pidfd for the root (or take the caller's) and check that the root is not the
/// caller or one of its ancestors.</para>
/// <para>2. Freeze: rounds of <see cref="TreeSkeleton{TMember}"/> until the tree is closed.</para>
/// <para>3. SIGKILL every member through its pidfd, and poll(2) all the pidfds until each is
/// readable (the process has exited).</para>
/// <para>Every signal goes through a pidfd, never a pid, so nothing is sent to a process that reused
/// a member's pid. Each one raises the audit event <c>os.kill</c> with <c>(pid, sig)</c> first (see
/// <see cref="Audit"/>): a veto of a SIGSTOP continues what the freeze had stopped, and the SIGKILL
/// (or a stop step's signal) is all or nothing, its events raised for every member before any is
/// sent. A member that exits by itself before it is stopped takes its children out of the tree
/// (they are reparented to init or a subreaper); <see cref="TreeKillResult.ExitedDuringWalk"/>
/// counts such members.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class LinuxProcessTree
{
    private static readonly bool s_haveChildrenFiles = File.Exists("/proc/thread-self/children");

    /// <summary>How long the members of one round may take to stop, after their SIGSTOP.</summary>
    internal static TimeSpan StopLimit => LinuxTreeBackend.DefaultStopLimit;

    /// <summary>Whether the kernel has /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN); without it each round scans /proc.</summary>
    internal static bool HaveChildrenFiles => s_haveChildrenFiles;

    /// <summary>Kills the tree of <paramref name="rootPid"/>; opens the root's pidfd itself.</summary>
    internal static async Task<TreeKillResult> KillAsync(int rootPid, bool scanProc, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        SafePidfdHandle root = OpenRoot(rootPid, nameof(rootPid));
        using TreeSkeleton<LinuxTreeMember> tree = Start(root, ownsRoot: true, rootPid, nameof(rootPid), scanProc);
        return await tree.KillAsync(TimeSpan.Zero, clock, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the tree whose root the caller holds a pidfd for; the caller keeps the pidfd.</summary>
    internal static async Task<TreeKillResult> KillAsync(SafePidfdHandle root, bool scanProc, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        using var lease = SafeHandleLease.Acquire(root);
        int rootPid = RootPidOf(root);
        using TreeSkeleton<LinuxTreeMember> tree = Start(root, ownsRoot: false, rootPid, nameof(root), scanProc);
        return await tree.KillAsync(TimeSpan.Zero, clock, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the tree of <paramref name="root"/> step by step (see <see cref="TreeSkeleton{TMember}.Send"/>):
    /// a member that was reparented away during an earlier step is still held by its pidfd, so later
    /// steps still reach it and what it forks.
    /// </summary>
    internal static async Task<TreeStopResult> StopAsync(SafePidfdHandle root, StopOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var lease = SafeHandleLease.Acquire(root);
        int rootPid = RootPidOf(root);
        using TreeSkeleton<LinuxTreeMember> tree = Start(root, ownsRoot: false, rootPid, nameof(root), scanProc: !HaveChildrenFiles);
        return await TreeStop.RunAsync(tree, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The pid of the root the caller holds a pidfd for; a root that has been reaped is the tree's "no such process" (<see cref="ProcessTree.RootGone"/>).</summary>
    private static int RootPidOf(SafePidfdHandle root)
    {
        try
        {
            return PidfdInfo.PidOf(root);
        }
        catch (ProcessLookupException e)
        {
            throw ProcessTree.RootGone(e);
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

    /// <summary>"the calling process" or "an ancestor of the calling process".</summary>
    internal static string Who(int pid) => pid == Environment.ProcessId ? "the calling process" : "an ancestor of the calling process";

    /// <summary>
    /// The skeleton over the root, after checking that its tree does not hold the caller: never
    /// freeze ourselves, since the tree of an ancestor holds us, and a stopped caller cannot finish
    /// the kill (pid 1 is every process's ancestor, so it is refused here too). Ancestors can only go
    /// away, never be added, so checking once before anything is sent is enough. The root's thread
    /// group is checked too, should a thread id ever get this far.
    /// </summary>
    private static TreeSkeleton<LinuxTreeMember> Start(SafePidfdHandle rootPidfd, bool ownsRoot, int rootPid, string paramName, bool scanProc)
    {
        var root = new LinuxTreeMember(rootPid, rootPidfd, ownsRoot);
        HashSet<int> refused = ProcFs.CallerAndAncestors();
        int process = ProcFs.ThreadGroupOf(rootPid) is int tgid && tgid > 0 ? tgid : rootPid;
        if (refused.Contains(rootPid) || refused.Contains(process))
        {
            root.Release();
            string who = rootPid == Environment.ProcessId ? "the calling process itself" : (process != rootPid ? "a thread of " : string.Empty) + Who(process);
            throw ProcessGuards.TreeHoldsCaller(rootPid, who, paramName);
        }

        // The root's stat, read after its pidfd was opened as a child's is at its admission: the
        // first freeze uses it rather than read it again.
        byte[] buffer = new byte[512];
        if (ProcFs.ReadStat($"/proc/{rootPid}/stat", ref buffer, out ProcFs.Stat stat) == 0)
        {
            if (TaskStates.IsExited(stat.State) && stat.Threads <= 1)
            {
                root.Release();
                throw ZombieRoot(rootPid, stat.ParentPid);
            }

            root.AdmittedStat = stat;
        }

        return new TreeSkeleton<LinuxTreeMember>(new LinuxTreeBackend(rootPid, scanProc), root, static m => m.Release());
    }

    /// <summary>
    /// The tree's "no such process" (<see cref="ProcessTree.RootGone"/>) for a root that has exited
    /// but is not yet reaped (a zombie: its parent has not waited for it). A zombie has no children
    /// left, since they were reparented when it exited, so a walk from it would find nothing and
    /// report success while its descendants run on. A leader that exited while other threads run
    /// shows as a zombie too, but is alive: only a zombie with one thread counts. If the root was
    /// reaped and its pid reused by a zombie since the open, the root has exited all the same.
    /// (A root whose stat cannot be read has been reaped: the walk sees that.)
    /// </summary>
    private static ProcessLookupException ZombieRoot(int rootPid, int parentPid) =>
        ProcessTree.RootGone((ProcessLookupException)OsException.FromErrno(
            Errno.ESRCH,
            "read",
            $"pid {rootPid} has exited (a zombie that its parent, pid {parentPid}, has not reaped yet), so it has no process tree to kill or stop",
            rootPid,
            null));
}
