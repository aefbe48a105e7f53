using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>The walk of <see cref="WindowsProcessTree"/>: toolhelp snapshots, admission through a handle with identity checks, the held orphans of exited parents, suspension and resumption.</summary>
internal sealed partial class WindowsProcessTree
{
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
}
