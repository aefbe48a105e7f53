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
internal sealed class WindowsProcessTree : IDisposable
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
        using WindowsProcessTree tree = Open(root, rootPid, MemberAccess, "stop", options.Steps[0].Signal);
        var killed = new List<Member>();
        for (int i = 0; i < options.Steps.Count; i++)
        {
            StopStep step = options.Steps[i];
            tree._sig = step.Signal;
            long deadline = Deadline.After(step.Timeout);
            bool ended;
            if (IsConsoleEvent(step.Signal))
            {
                tree.Walk(freeze: false, cancellationToken);
                if (!tree.SendConsoleEvent(step.Signal, nameof(options)))
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

                List<Member> left = await tree.TerminateAllAsync(step.Signal, deadline, killed, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The pid's parent pid and creation time, through a handle; false when either cannot be read.</summary>
    private static unsafe bool TryReadIdentity(nint handle, out long created, out int parentPid)
    {
        created = 0;
        parentPid = 0;
        Ntdll.ProcessBasicInformation info;
        int status = Ntdll.NtQueryInformationProcess(handle, Ntdll.ProcessBasicInformationClass, &info, (uint)sizeof(Ntdll.ProcessBasicInformation), out _);
        if (status != Ntdll.STATUS_SUCCESS || !Kernel32.GetProcessTimes(handle, out created, out _, out _, out _))
        {
            return false;
        }

        parentPid = (int)info.InheritedFromUniqueProcessId;
        return true;
    }

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

    private (long Created, int ParentPid) ReadIdentity(nint handle, int pid)
    {
        if (!TryReadIdentity(handle, out long created, out int parentPid))
        {
            int error = Marshal.GetLastPInvokeError();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "GetProcessTimes", $"cannot read the creation time and parent of pid {pid} to {Purpose()}", pid, _sig);
        }

        return (created, parentPid);
    }

    /// <summary>Walks the tree: with <paramref name="freeze"/>, until a round finds nothing new; otherwise for a few rounds at most.</summary>
    private void Walk(bool freeze, CancellationToken cancellationToken)
    {
        for (int round = 0; ; round++)
        {
            bool freezing = freeze && CanFreeze;
            if (!freezing && round >= UnfrozenRounds)
            {
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (WalkRound(freezing) == 0)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Freezes the tree (every member found so far, and what they created), resuming what it
    /// suspended and rethrowing on an error or cancellation.
    /// </summary>
    private void FreezeOrThaw(CancellationToken cancellationToken)
    {
        try
        {
            // Members found by an earlier step that did not freeze (a console event) first.
            foreach (Member m in Live())
            {
                if (!m.Suspended && !m.Terminated)
                {
                    Suspend(m);
                }
            }

            Walk(freeze: true, cancellationToken);
        }
        catch (Exception e)
        {
            List<Exception> thawErrors = Thaw();
            if (thawErrors.Count == 0)
            {
                throw;
            }

            thawErrors.Insert(0, e);
            throw new AggregateException($"Freezing the process tree of pid {_rootPid} failed, and so did resuming its suspended members.", thawErrors);
        }
    }

    /// <summary>
    /// One round: a snapshot of every process, then every process whose parent pid is a member's is
    /// admitted (see <see cref="Admit"/>), and walked in the same round; so is every exited process
    /// that links a listed process to a member (see <see cref="AdmitHeldExitedParents"/>). Returns
    /// how many were admitted.
    /// </summary>
    private int WalkRound(bool freeze)
    {
        _rounds++;
        Dictionary<int, List<int>> children = Snapshot();
        HashSet<int>? listed = null;
        var queue = new Queue<Member>(_members);
        int added = 0;
        while (true)
        {
            while (queue.TryDequeue(out Member? parent))
            {
                if (!children.TryGetValue(parent.Pid, out List<int>? list))
                {
                    continue;
                }

                foreach (int pid in list)
                {
                    // A known pid is that member still: its handle keeps the pid from being reused.
                    if (pid == 0 || pid == parent.Pid || _byPid.ContainsKey(pid))
                    {
                        continue;
                    }

                    Member? child = Admit(pid, parent, freeze);
                    if (child is not null)
                    {
                        added++;
                        queue.Enqueue(child);
                    }
                }
            }

            listed ??= [.. children.Values.SelectMany(pids => pids)];
            List<Member> found = AdmitHeldExitedParents(children, listed, freeze);
            if (found.Count == 0)
            {
                return added;
            }

            added += found.Count;
            found.ForEach(queue.Enqueue);
        }
    }

    /// <summary>
    /// Admits the exited members that the snapshot does not list. A process that has exited is in no
    /// toolhelp snapshot, yet while any handle on it is open (its parent's, for one) its pid still
    /// names it and cannot be reused, and its children's entries still name it as their parent: an
    /// orphan of a held-open parent, which the walk by the members' pids alone never reaches. So
    /// every parent pid that the snapshot names but does not list is opened, and followed up its own
    /// parent pids, through processes the snapshot does not list either, to a member (see
    /// <see cref="AdmitUnlisted"/>). The listed children of what is admitted are then walked as
    /// usual, with <see cref="Admit"/>'s checks. Returns the members admitted.
    /// </summary>
    private List<Member> AdmitHeldExitedParents(Dictionary<int, List<int>> children, HashSet<int> listed, bool freeze)
    {
        var admitted = new List<Member>();
        var strangers = new HashSet<int>();
        foreach (int parentPid in children.Keys)
        {
            if (parentPid != 0 && !listed.Contains(parentPid) && !_byPid.ContainsKey(parentPid))
            {
                _ = AdmitUnlisted(parentPid, listed, strangers, admitted, freeze, depth: 0);
            }
        }

        return admitted;
    }

    /// <summary>
    /// Opens <paramref name="pid"/>, which the snapshot does not list, and admits it when, through
    /// the handle just opened, its parent pid is a member's (or, recursively, that of another unlisted
    /// process that is admitted so) and it is not older than that parent: the checks of
    /// <see cref="Admit"/>, so that a pid reused by an unrelated process pulls nothing in. A pid that
    /// cannot be opened (gone, or not ours to open) or read ends the chain: nothing can be followed
    /// through it. Returns the member, or null; <paramref name="strangers"/> remembers the pids
    /// already tried in this pass.
    /// </summary>
    private Member? AdmitUnlisted(int pid, HashSet<int> listed, HashSet<int> strangers, List<Member> admitted, bool freeze, int depth)
    {
        if (_byPid.TryGetValue(pid, out Member? known))
        {
            return known;
        }

        // A listed process that is not a member is not ours; 64 links is far deeper than any real
        // chain of exited parents, and only guards against a loop.
        if (pid == 0 || listed.Contains(pid) || depth >= 64 || !strangers.Add(pid))
        {
            return null;
        }

        nint raw = Kernel32.OpenProcess(_access, inheritHandle: false, pid);
        if (raw == 0)
        {
            return null;
        }

        var handle = new SafeProcessHandle(raw, ownsHandle: true);
        Member? parent = null;
        if (TryReadIdentity(raw, out long created, out int parentPid) && parentPid != pid)
        {
            parent = AdmitUnlisted(parentPid, listed, strangers, admitted, freeze, depth + 1);
        }

        if (parent is null || created < parent.Created)
        {
            handle.Dispose();
            return null;
        }

        Member member = Enroll(pid, handle, created, freeze);
        admitted.Add(member);
        return member;
    }

    /// <summary>
    /// Opens a pid that the snapshot lists as a child of <paramref name="parent"/>, checks through the
    /// handle that it is (its parent pid is the member's, and it is not older than the member), and
    /// suspends it. Returns null when it is not a member, or has gone.
    /// </summary>
    private Member? Admit(int pid, Member parent, bool freeze)
    {
        nint raw = Kernel32.OpenProcess(_access, inheritHandle: false, pid);
        if (raw == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error == WinError.ERROR_INVALID_PARAMETER)
            {
                // Exited, and every handle on it closed, since the snapshot: if it was a child of
                // the member, its own children have left the tree.
                _exitedDuringWalk++;
                return null;
            }

            throw Win32Errors.ProcessError(error, "OpenProcess", $"cannot open pid {pid}, a child of pid {parent.Pid}, to {Purpose()}", pid, _sig);
        }

        var handle = new SafeProcessHandle(raw, ownsHandle: true);
        long created;
        try
        {
            (created, int parentPid) = ReadIdentity(raw, pid);
            if (parentPid != parent.Pid || created < parent.Created)
            {
                // Not the member's child: the pid was reused since the snapshot, or the process is
                // older than the member (its parent was an earlier holder of the member's pid).
                handle.Dispose();
                return null;
            }

            if (pid == Environment.ProcessId)
            {
                throw ProcessGuards.TreeHoldsCaller(_rootPid, ProcessGuards.CallerOrAncestor(_rootPid), "root");
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return Enroll(pid, handle, created, freeze);
    }

    /// <summary>Adds a verified process as a member, counted as exited if it has, suspended otherwise when <paramref name="freeze"/>.</summary>
    private Member Enroll(int pid, SafeProcessHandle handle, long created, bool freeze)
    {
        var member = new Member(pid, handle, created);
        Add(member);
        if (ProcessWait.HasExited(handle))
        {
            member.Exited = true;
            _exitedDuringWalk++;
        }
        else if (freeze)
        {
            Suspend(member);
        }

        return member;
    }

    private void Suspend(Member m)
    {
        if (!CanFreeze)
        {
            return;
        }

        int status = Ntdll.NtSuspendProcess(m.Handle.DangerousGetHandle());
        if (status == Ntdll.STATUS_SUCCESS)
        {
            m.Suspended = true;
            return;
        }

        if (status == Ntdll.STATUS_NOT_IMPLEMENTED)
        {
            // Freezing is off from now on; the terminate-and-walk-again loop still ends the tree.
            Volatile.Write(ref s_suspendUnavailable, 1);
            return;
        }

        if (status == Ntdll.STATUS_PROCESS_IS_TERMINATING || ProcessWait.HasExited(m.Handle))
        {
            m.Exited = true;
            _exitedDuringWalk++;
            return;
        }

        throw NtError(status, "NtSuspendProcess", $"cannot suspend pid {m.Pid} to {Purpose()}", m.Pid);
    }

    private OsException NtError(int status, string operation, string attempt, int pid)
    {
        int error = Ntdll.RtlNtStatusToDosError(status);
        return OsException.FromWin32(
            error,
            WinError.ToErrno(error),
            operation,
            string.Create(CultureInfo.InvariantCulture, $"{attempt} (NTSTATUS 0x{status:X8})"),
            pid,
            _sig);
    }

    /// <summary>Resumes every member we suspended and did not terminate. Returns the errors.</summary>
    private List<Exception> Thaw()
    {
        var errors = new List<Exception>();
        foreach (Member m in _members)
        {
            if (!m.Suspended || m.Terminated || m.Handle.IsClosed)
            {
                continue;
            }

            m.Suspended = false;
            int status = Ntdll.NtResumeProcess(m.Handle.DangerousGetHandle());
            if (status != Ntdll.STATUS_SUCCESS && !ProcessWait.HasExited(m.Handle))
            {
                errors.Add(NtError(status, "NtResumeProcess", $"cannot resume pid {m.Pid}, suspended to {Purpose()}", m.Pid));
            }
        }

        return errors;
    }

    /// <summary>The members that are still running, root first.</summary>
    private List<Member> Live()
    {
        var live = new List<Member>(_members.Count);
        foreach (Member m in _members)
        {
            if (m.Exited)
            {
                continue;
            }

            if (ProcessWait.HasExited(m.Handle))
            {
                m.Exited = true;
                continue;
            }

            live.Add(m);
        }

        return live;
    }

    /// <summary>
    /// Ends every live member with TerminateProcess(<paramref name="exitCode"/>), waits until each
    /// has exited, and walks again; repeats until a walk made after every member had exited finds no
    /// new member. Returns the members still running at <paramref name="deadline"/>: empty on success.
    /// </summary>
    private async Task<List<Member>> TerminateAllAsync(int exitCode, long deadline, List<Member> killed, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = new List<Member>();
            var errors = new List<Exception>();
            List<Member> live = ConsoleHostsLast(Live());

            // All or nothing: the os.kill event of every member this pass ends, before the first
            // TerminateProcess. A hook that vetoes one (by throwing) ends nobody: its exception
            // leaves through Dispose, which resumes whatever the freeze suspended.
            foreach (Member m in live)
            {
                if (!m.Terminated)
                {
                    Audit.RaiseKill(m.Pid, exitCode);
                }
            }

            foreach (Member m in live)
            {
                if (m.Terminated)
                {
                    batch.Add(m);
                    continue;
                }

                bool terminated = Kernel32.TerminateProcess(m.Handle.DangerousGetHandle(), unchecked((uint)exitCode));
                int error = terminated ? 0 : Marshal.GetLastPInvokeError();
                OsKillEventSource.Log.WindowsKill(m.Pid, exitCode, error);
                if (terminated)
                {
                    m.Terminated = true;
                    batch.Add(m);
                    killed.Add(m);
                }
                else if (ProcessWait.HasExited(m.Handle))
                {
                    // TerminateProcess fails with access denied on a process that is exiting.
                    m.Exited = true;
                }
                else
                {
                    errors.Add(OsException.FromWin32(error, WinError.ToErrno(error), "TerminateProcess", $"cannot end pid {m.Pid} to {Purpose()}", m.Pid, exitCode));
                }
            }

            if (errors.Count > 0)
            {
                // What was terminated dies anyway; resume the rest rather than leave it suspended.
                errors.AddRange(Thaw());
                throw errors.Count == 1 ? errors[0] : new AggregateException($"Ending the process tree of pid {_rootPid} with exit code {exitCode} failed.", errors);
            }

            List<Member> left = await WaitForExitAsync(batch, deadline, cancellationToken).ConfigureAwait(false);
            if (left.Count > 0)
            {
                return left;
            }

            if (WalkRound(CanFreeze) == 0)
            {
                return left;
            }
        }
    }

    /// <summary>
    /// <paramref name="live"/> with its console hosts (conhost.exe) moved to the end, the order kept
    /// otherwise: ended before the others, a host can end the processes waiting on its console with
    /// exit code 0 before TerminateProcess reaches them (see <see cref="ConsoleHosts"/>).
    /// </summary>
    private static List<Member> ConsoleHostsLast(List<Member> live)
    {
        List<Member> hosts = live.Count < 2 ? [] : live.FindAll(m => ConsoleHosts.IsConsoleHost(m.Handle));
        if (hosts.Count == 0)
        {
            return live;
        }

        List<Member> ordered = live.FindAll(m => !hosts.Contains(m));
        ordered.AddRange(hosts);
        return ordered;
    }

    /// <summary>
    /// Waits until every live member has exited, walking again each time they all have, until a walk
    /// finds no new live member (true) or <paramref name="deadline"/> passes (false).
    /// </summary>
    private async Task<bool> WaitUntilGoneAsync(long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            List<Member> left = await WaitForExitAsync(Live(), deadline, cancellationToken).ConfigureAwait(false);
            if (left.Count > 0)
            {
                return false;
            }

            if (WalkRound(freeze: false) == 0)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Sends the console event to the root's console (or the first live member's, once the root has
    /// exited). Returns false when no member was alive to receive it.
    /// </summary>
    private bool SendConsoleEvent(int sig, string paramName)
    {
        List<Member> live = Live();
        foreach (Member target in live)
        {
            RefuseOutsiders(target, live, sig, paramName);

            // The event goes to the target's console, and reaches every process attached to it.
            Audit.RaiseKill(target.Pid, sig);
            try
            {
                ConsoleControl.Send(target.Pid, (ConsoleEvent)sig);
                return true;
            }
            catch (ProcessLookupException) when (ProcessWait.HasExited(target.Handle))
            {
                // It exited just now: try the next live member.
                target.Exited = true;
            }
        }

        return false;
    }

    /// <summary>
    /// A console event reaches every process attached to the console. When the target is on our
    /// console we can list them: refuse if any is outside the tree (other than the caller, which
    /// <see cref="ConsoleControl.Send"/> never interrupts). Another console cannot be listed from here.
    /// </summary>
    private void RefuseOutsiders(Member target, List<Member> live, int sig, string paramName)
    {
        int[] attached = ConsoleEvents.OurConsoleProcesses();
        if (!attached.Contains(target.Pid))
        {
            return;
        }

        var members = live.Select(m => m.Pid).ToHashSet();
        int[] outsiders = [.. attached.Where(pid => pid != Environment.ProcessId && !members.Contains(pid))];
        if (outsiders.Length == 0)
        {
            return;
        }

        throw new ArgumentException(
            $"Refusing to send {OsException.SignalText(sig)} to the process tree of pid {_rootPid}: pid {target.Pid} shares this process's console, " +
            $"and a console event reaches every process attached to it, among them pid(s) {string.Join(", ", outsiders.Take(20))} outside the tree. " +
            "Start the tree on a console of its own (ProcessStartInfo.CreateNoWindow = true gives it a hidden one; CREATE_NEW_CONSOLE a visible one), " +
            "or use a step with an exit code (TerminateProcess) instead. Nothing was sent.",
            paramName);
    }

    /// <summary>
    /// Waits until every member of <paramref name="batch"/> has exited: first a check that does not
    /// block, then, only if some still run, a wait on a pool thread. Returns those still running at the deadline.
    /// </summary>
    private static async Task<List<Member>> WaitForExitAsync(List<Member> batch, long deadline, CancellationToken cancellationToken)
    {
        List<SafeHandle> handles = batch.ConvertAll(m => (SafeHandle)m.Handle);
        List<int> pending = HandleWait.WaitAll(handles, Stopwatch.GetTimestamp(), cancellationToken);
        if (pending.Count > 0 && deadline > Stopwatch.GetTimestamp())
        {
            List<SafeHandle> still = pending.ConvertAll(i => handles[i]);
            List<int> left = await Task.Run(() => HandleWait.WaitAll(still, deadline, cancellationToken), cancellationToken).ConfigureAwait(false);
            pending = left.ConvertAll(i => pending[i]);
        }

        var running = new List<Member>(pending.Count);
        bool[] stillRunning = new bool[batch.Count];
        foreach (int i in pending)
        {
            stillRunning[i] = true;
            running.Add(batch[i]);
        }

        for (int i = 0; i < batch.Count; i++)
        {
            batch[i].Exited = !stillRunning[i];
        }

        return running;
    }

    private TreeStopResult Stopped(int? step, StopOptions options, Stopwatch clock, int killed) =>
        TreeStopResult.EndedAfter(step, options, clock.Elapsed, _members.Count, killed, _rounds);

    /// <summary>Every process's parent pid, from a toolhelp snapshot: parent pid → pids.</summary>
    private unsafe Dictionary<int, List<int>> Snapshot()
    {
        nint snapshot = Kernel32.CreateToolhelp32Snapshot(Kernel32.TH32CS_SNAPPROCESS, 0);
        if (snapshot == Kernel32.INVALID_HANDLE_VALUE)
        {
            int error = Marshal.GetLastPInvokeError();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "CreateToolhelp32Snapshot", $"cannot list the processes to {Purpose()}", _rootPid, _sig);
        }

        try
        {
            var map = new Dictionary<int, List<int>>();
            Kernel32.ProcessEntry32 entry = default;
            entry.Size = (uint)sizeof(Kernel32.ProcessEntry32);
            bool more = Kernel32.Process32First(snapshot, &entry);
            while (more)
            {
                int parent = (int)entry.ParentProcessId;
                if (!map.TryGetValue(parent, out List<int>? list))
                {
                    map[parent] = list = [];
                }

                list.Add((int)entry.ProcessId);
                more = Kernel32.Process32Next(snapshot, &entry);
            }

            int error = Marshal.GetLastPInvokeError();
            if (error != Kernel32.ERROR_NO_MORE_FILES)
            {
                throw OsException.FromWin32(error, WinError.ToErrno(error), "Process32NextW", $"cannot list the processes to {Purpose()}", _rootPid, _sig);
            }

            return map;
        }
        finally
        {
            Kernel32.CloseHandle(snapshot);
        }
    }

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
