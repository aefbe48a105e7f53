using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows.Tree;

/// <summary>The walk of <see cref="WindowsTreeBackend"/>: toolhelp snapshots, admission through a handle with identity checks, the held orphans of exited parents, and the caller's ancestors.</summary>
internal sealed partial class WindowsTreeBackend
{
    private Dictionary<int, List<int>> _children = [];
    private HashSet<int>? _listed;
    private WindowsTreeMember? _parent;

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

    /// <summary>Takes the round's snapshot of every process.</summary>
    public void BeginRound()
    {
        _children = Snapshot();
        _listed = null;
    }

    /// <summary>The pids that the round's snapshot lists with the member as their parent.</summary>
    public bool ListChildren(WindowsTreeMember parent, List<int> into)
    {
        _parent = parent;
        if (_children.TryGetValue(parent.Pid, out List<int>? list))
        {
            into.AddRange(list.Where(pid => pid != 0 && pid != parent.Pid));
        }

        return true;
    }

    /// <summary>
    /// Admits the exited members that the snapshot does not list. A process that has exited is in no
    /// toolhelp snapshot, yet while any handle on it is open (its parent's, for one) its pid still
    /// names it and cannot be reused, and its children's entries still name it as their parent: an
    /// orphan of a held-open parent, which the walk by the members' pids alone never reaches. So
    /// every parent pid that the snapshot names but does not list is opened, and followed up its own
    /// parent pids, through processes the snapshot does not list either, to a member (see
    /// <see cref="FollowUnlisted"/>).
    /// The listed children of what is admitted are then walked as usual, with <see cref="Admit"/>'s
    /// checks. Returns the members admitted.
    /// </summary>
    public List<WindowsTreeMember> AdmitUnlisted(Func<int, WindowsTreeMember?> member)
    {
        _listed ??= [.. _children.Values.SelectMany(pids => pids)];
        var admitted = new List<WindowsTreeMember>();
        var strangers = new HashSet<int>();
        foreach (int parentPid in _children.Keys)
        {
            if (parentPid != 0 && !_listed.Contains(parentPid) && member(parentPid) is null && admitted.All(m => m.Pid != parentPid))
            {
                _ = FollowUnlisted(parentPid, member, strangers, admitted, depth: 0);
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
    private WindowsTreeMember? FollowUnlisted(int pid, Func<int, WindowsTreeMember?> member, HashSet<int> strangers, List<WindowsTreeMember> admitted, int depth)
    {
        if ((member(pid) ?? admitted.Find(m => m.Pid == pid)) is WindowsTreeMember known)
        {
            return known;
        }

        // A listed process that is not a member is not ours; 64 links is far deeper than any real
        // chain of exited parents, and only guards against a loop.
        if (pid == 0 || _listed!.Contains(pid) || depth >= 64 || !strangers.Add(pid))
        {
            return null;
        }

        nint raw = Kernel32.OpenProcess(_access, inheritHandle: false, pid);
        if (raw == 0)
        {
            return null;
        }

        var handle = new SafeProcessHandle(raw, ownsHandle: true);
        WindowsTreeMember? parent = null;
        if (TryReadIdentity(raw, out long created, out int parentPid) && parentPid != pid)
        {
            parent = FollowUnlisted(parentPid, member, strangers, admitted, depth + 1);
        }

        if (parent is null || created < parent.Created)
        {
            handle.Dispose();
            return null;
        }

        WindowsTreeMember admittedMember = Enroll(pid, handle, created);
        admitted.Add(admittedMember);
        return admittedMember;
    }

    /// <summary>
    /// Opens a pid that the snapshot lists as a child of the member just listed, and checks through
    /// the handle that it is (its parent pid is the member's, and it is not older than the member).
    /// Returns null when it is not a member, or has gone.
    /// </summary>
    public WindowsTreeMember? Admit(int pid, Func<int, WindowsTreeMember?> liveMember)
    {
        WindowsTreeMember parent = _parent!;
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

        return Enroll(pid, handle, created);
    }

    /// <summary>A verified process as a member, counted as exited if it has.</summary>
    private WindowsTreeMember Enroll(int pid, SafeProcessHandle handle, long created)
    {
        var member = new WindowsTreeMember(pid, handle, created);
        if (ProcessWait.HasExited(handle))
        {
            member.Exited = true;
            _exitedDuringWalk++;
        }

        return member;
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
