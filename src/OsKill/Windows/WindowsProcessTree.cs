using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// How a process tree is killed and stopped on Windows: walk by parent pid with a handle held on
/// every member, freeze, then terminate.
/// </summary>
/// <remarks>
/// <para>1. Open our own handle on the root (while the caller's handle is held, the pid cannot name
/// another process) and refuse if the root is the caller or one of its ancestors.</para>
/// <para>2. Rounds: a toolhelp snapshot of every process; each process whose parent pid is a
/// member's is opened, and admitted only if, through the handle just opened, its parent pid
/// (NtQueryInformationProcess) is still that member's and its creation time is not earlier than the
/// member's. Windows records a parent pid once, at creation, and never updates it: after the parent
/// exits and its pid is reused, an unrelated process seems to have the new holder of the pid as
/// parent, but it is older than that holder. The member's own pid cannot be reused meanwhile, since
/// we hold a handle on it. A process that has exited is in no snapshot, even while a handle on it
/// (its parent's, say) keeps its pid: its children's entries name a pid that the snapshot does not
/// list. So each round also opens every such pid and follows its parent pids, through processes the
/// snapshot does not list, to a member, with the same checks at every link; what it reaches is
/// admitted, and its children are walked as usual. Each admitted member is suspended
/// (NtSuspendProcess; a suspended process creates no process). Rounds follow each other until one
/// finds nothing new.</para>
/// <para>3. TerminateProcess every member, console hosts (conhost.exe) last (see
/// <see cref="ConsoleHosts"/>), wait (WaitForMultipleObjects) until all have exited, then walk once
/// more: a thread that was inside CreateProcess when its process was suspended or terminated can
/// still finish creating a child. The walk is conclusive once every member has exited, because an
/// exited process creates nothing, and its handle, held by us, keeps its pid from being reused, so
/// its children still name it as their parent.</para>
/// <para>Audit: each TerminateProcess of a member raises <c>os.kill</c> <c>(pid, exit code)</c>, and
/// the events of every member a pass ends are raised before the first TerminateProcess of that pass,
/// so that a hook that vetoes one (by throwing) ends nobody; its exception reaches the caller unchanged,
/// and whatever the freeze suspended is resumed (NtSuspendProcess sends nothing, and raises no event).
/// Each console event a stop sends raises <c>os.kill</c> <c>(pid, 0 or 1)</c> for the member whose
/// console it goes to.</para>
/// <para>Without NtSuspendProcess (it reports STATUS_NOT_IMPLEMENTED), the walk does not freeze, and
/// step 3 alone ends the tree: it repeats until a walk after every member has exited finds no new
/// member.</para>
/// <para>Unlike Linux, a member that exits on its own keeps its place in the tree while we hold its
/// handle, and so does an exited process that another process holds a handle on: their children
/// are still found. A process is lost to the walk only when it exited, and every handle on it was
/// closed, before a round opened it; its children then name a pid that no longer exists (or that a
/// younger process reuses). A pid that the snapshot does not list and that cannot be opened for
/// another reason (access denied) cannot be followed either.</para>
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed partial class WindowsProcessTree : IDisposable
{
    /// <summary>How long the terminated members may take to exit.</summary>
    internal static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The exit code of every member a tree kill ends: −1 (0xFFFFFFFF), as <see cref="Process.Kill()"/>
    /// and the forced step of <see cref="StopOptions.Default"/> give, so that a killed process reads
    /// the same whichever of them ended it, and is not mistaken for a program's own exit 1.
    /// </summary>
    internal const int KillExitCode = -1;

    /// <summary>How many rounds a walk that does not freeze makes before it goes ahead (a tree that forks faster than the walk never stops growing).</summary>
    private const int UnfrozenRounds = 8;

    private const uint MemberAccess =
        Kernel32.PROCESS_TERMINATE | Kernel32.SYNCHRONIZE | Kernel32.PROCESS_QUERY_LIMITED_INFORMATION | Kernel32.PROCESS_SUSPEND_RESUME;

    private static int s_suspendUnavailable;

    private readonly Dictionary<int, Member> _byPid = [];

    private readonly List<Member> _members = [];

    private readonly uint _access;

    private readonly string _action;

    private int _rootPid;

    private int? _sig;

    private int _rounds;

    private int _exitedDuringWalk;

    private WindowsProcessTree(uint access, string action, int? sig)
    {
        _access = access;
        _action = action;
        _sig = sig;
    }

    /// <summary>False once NtSuspendProcess has said STATUS_NOT_IMPLEMENTED: walks no longer freeze.</summary>
    internal static bool CanFreeze => Volatile.Read(ref s_suspendUnavailable) == 0;

    /// <summary>Kills the process that <paramref name="root"/> names and all its descendants (exit code −1), and waits until each has exited.</summary>
    internal static async Task<TreeKillResult> KillAsync(SafeHandle root, int rootPid, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        using WindowsProcessTree tree = Open(root, rootPid, MemberAccess, "kill", KillExitCode);
        tree.FreezeOrThaw(cancellationToken);
        var killed = new List<Member>();
        List<Member> left = await tree.TerminateAllAsync(KillExitCode, Deadline.After(ExitLimit), killed, cancellationToken).ConfigureAwait(false);
        if (left.Count > 0)
        {
            throw new TimeoutException(
                $"Every member of the process tree of pid {tree._rootPid} was ended with TerminateProcess (exit code {KillExitCode}), " +
                $"but pid(s) {Pids(left)} had not exited after {ExitLimit.TotalSeconds:0} s.");
        }

        return new TreeKillResult(killed.ConvertAll(m => m.Pid), tree._rounds, tree._exitedDuringWalk, started.Elapsed);
    }

    /// <summary>
    /// Stops the process that <paramref name="root"/> names and all its descendants, step by step.
    /// A CTRL_C_EVENT or CTRL_BREAK_EVENT step walks the tree (without freezing it), sends the event
    /// to the root's console through <see cref="ConsoleControl.Send"/> (the first live member's when
    /// the root has exited), and waits until every member has exited, walking again each time they
    /// all have. Any other step value freezes the tree and ends every member with that exit code,
    /// as the kill does. A console event reaches every process attached to the console: when that
    /// console is ours, and it has processes outside the tree (other than the caller), the step is
    /// refused before anything is sent.
    /// </summary>
    internal static async Task<TreeStopResult> StopAsync(SafeHandle root, int rootPid, StopOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        using WindowsProcessTree tree = Open(root, rootPid, MemberAccess, "stop", options.Steps[0].Number);
        var killed = new List<Member>();
        for (int i = 0; i < options.Steps.Count; i++)
        {
            StopStep step = options.Steps[i];
            tree._sig = step.Number;
            long deadline = Deadline.After(step.Timeout);
            bool ended;
            if (IsConsoleEvent(step.Number))
            {
                tree.Walk(freeze: false, cancellationToken);
                if (!tree.SendConsoleEvent(step.Number, nameof(options)))
                {
                    // Nothing was alive to receive this step's event: the previous step ended the tree.
                    return tree.Stopped(i == 0 ? null : i - 1, options, clock, killed.Count);
                }

                ended = await tree.WaitUntilGoneAsync(deadline, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                tree.FreezeOrThaw(cancellationToken);
                if (tree.Live().Count == 0)
                {
                    return tree.Stopped(i == 0 ? null : i - 1, options, clock, killed.Count);
                }

                List<Member> left = await tree.TerminateAllAsync(step.Number, deadline, killed, cancellationToken).ConfigureAwait(false);
                ended = left.Count == 0;
            }

            if (ended)
            {
                return tree.Stopped(i, options, clock, killed.Count);
            }
        }

        return TreeStopResult.NotEnded(clock.Elapsed, tree._members.Count, killed.Count, tree._rounds);
    }

    /// <summary>
    /// Calls <paramref name="action"/> for every descendant of the process that <paramref name="root"/>
    /// names, found by walks that do not freeze, with a handle that also has <paramref name="extraAccess"/>.
    /// </summary>
    internal static void ForEachDescendant(SafeHandle root, uint extraAccess, string action, Action<int, SafeHandle> visit)
    {
        using WindowsProcessTree tree = Open(root, 0, MemberAccess | extraAccess, action, null);
        tree.Walk(freeze: false, CancellationToken.None);
        foreach (Member m in tree._members.Skip(1))
        {
            visit(m.Pid, m.Handle);
        }
    }

    /// <summary>The caller's pid and those of its ancestors, following parent pids for as long as each parent is older than its child.</summary>
    internal static HashSet<int> CallerAndAncestors()
    {
        int self = Environment.ProcessId;
        var chain = new HashSet<int> { self };
        nint current = Kernel32.OpenProcess(Kernel32.PROCESS_QUERY_LIMITED_INFORMATION, inheritHandle: false, self);
        if (current == 0)
        {
            return chain;
        }

        try
        {
            // 64 steps is far deeper than any real chain; it only guards against a loop.
            for (int depth = 0; depth < 64; depth++)
            {
                if (!TryReadIdentity(current, out long created, out int parentPid) || parentPid <= 0 || chain.Contains(parentPid))
                {
                    return chain;
                }

                nint parent = Kernel32.OpenProcess(Kernel32.PROCESS_QUERY_LIMITED_INFORMATION, inheritHandle: false, parentPid);
                if (parent == 0)
                {
                    // Gone (87): nothing more above. Not ours to open (5): count it, as an ancestor
                    // we cannot check, and stop there.
                    if (Marshal.GetLastPInvokeError() != WinError.ERROR_INVALID_PARAMETER)
                    {
                        chain.Add(parentPid);
                    }

                    return chain;
                }

                if (!TryReadIdentity(parent, out long parentCreated, out _) || parentCreated > created)
                {
                    // A younger process that reused the pid of our exited ancestor.
                    Kernel32.CloseHandle(parent);
                    return chain;
                }

                chain.Add(parentPid);
                Kernel32.CloseHandle(current);
                current = parent;
            }

            return chain;
        }
        finally
        {
            Kernel32.CloseHandle(current);
        }
    }

    public void Dispose()
    {
        // Never leave a process suspended behind us, whatever failed.
        Thaw();
        foreach (Member m in _members)
        {
            m.Handle.Dispose();
        }
    }

    /// <summary>Opens our own handle on the root, after checking that its tree does not hold the caller.</summary>
    private static WindowsProcessTree Open(SafeHandle root, int rootPid, uint access, string action, int? sig)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var lease = SafeHandleLease.Acquire(root);
        nint callerHandle = lease.Value;
        int pid = Kernel32.GetProcessId(callerHandle);
        if (pid == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            throw new ArgumentException(
                $"Cannot walk a process tree from handle 0x{callerHandle.ToString("x", CultureInfo.InvariantCulture)} (pid {rootPid} expected): it is not a process handle (GetProcessId: WinError {error}).",
                nameof(root));
        }

        if (CallerAndAncestors().Contains(pid))
        {
            throw ProcessGuards.TreeHoldsCaller(pid, ProcessGuards.CallerOrAncestor(pid), nameof(root));
        }

        var tree = new WindowsProcessTree(access, action, sig) { _rootPid = pid };

        // While the caller's handle is open, the pid cannot be reused: OpenProcess reaches the
        // same process, even if it has exited.
        nint handle = Kernel32.OpenProcess(access, inheritHandle: false, pid);
        if (handle == 0)
        {
            throw Win32Errors.LastProcessError("OpenProcess", $"cannot open pid {pid} to {tree.Purpose()}", pid, sig);
        }

        var owned = new SafeProcessHandle(handle, ownsHandle: true);
        long created;
        try
        {
            created = tree.ReadIdentity(handle, pid).Created;
        }
        catch
        {
            owned.Dispose();
            throw;
        }

        _ = tree.Enroll(pid, owned, created, freeze: false);
        return tree;
    }

    private static bool IsConsoleEvent(int sig) => sig is WindowsSignals.CtrlCEvent or WindowsSignals.CtrlBreakEvent;

    private static string Pids(List<Member> members) =>
        string.Join(", ", members.Take(20).Select(m => m.Pid.ToString(CultureInfo.InvariantCulture))) + (members.Count > 20 ? $" and {members.Count - 20} more" : string.Empty);

    /// <summary>What the call is for, in messages: "kill the process tree of pid 42 with exit code -1 (TerminateProcess)".</summary>
    private string Purpose()
    {
        string tree = string.Create(CultureInfo.InvariantCulture, $"{_action} the process tree of pid {_rootPid}");
        return _sig switch
        {
            null => tree,
            int sig when IsConsoleEvent(sig) => $"{tree} with {OsException.SignalText(sig)}",
            int sig => string.Create(CultureInfo.InvariantCulture, $"{tree} with exit code {sig} (TerminateProcess)"),
        };
    }

    private TreeStopResult Stopped(int? step, StopOptions options, Stopwatch clock, int killed) =>
        TreeStopResult.EndedAfter(step, options, clock.Elapsed, _members.Count, killed, _rounds);

    private void Add(Member m)
    {
        _byPid[m.Pid] = m;
        _members.Add(m);
    }

    private sealed class Member(int pid, SafeProcessHandle handle, long created)
    {
        internal int Pid { get; } = pid;

        /// <summary>Our handle: it keeps the pid from being reused for as long as we hold it.</summary>
        internal SafeProcessHandle Handle { get; } = handle;

        /// <summary>The creation time (FILETIME ticks): a child is never older than its parent.</summary>
        internal long Created { get; } = created;

        /// <summary>We suspended it (NtSuspendProcess): resume it unless it is terminated.</summary>
        internal bool Suspended { get; set; }

        /// <summary>We ended it with TerminateProcess.</summary>
        internal bool Terminated { get; set; }

        /// <summary>Seen to have exited.</summary>
        internal bool Exited { get; set; }
    }
}
