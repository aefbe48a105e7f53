using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows.Tree;

/// <summary>
/// The Windows side of <see cref="TreeSkeleton{TMember}"/>: members held by process handles, found
/// in toolhelp snapshots by parent pid, frozen with NtSuspendProcess and ended with TerminateProcess
/// (console hosts last); console events go to the members' console once.
/// </summary>
/// <remarks>
/// <para>Admission: each process whose parent pid is a member's is opened, and admitted only if,
/// through the handle just opened, its parent pid (NtQueryInformationProcess) is still that
/// member's and its creation time is not earlier than the member's. Windows records a parent pid
/// once, at creation, and never updates it: after the parent exits and its pid is reused, an
/// unrelated process seems to have the new holder of the pid as parent, but it is older than that
/// holder. The member's own pid cannot be reused meanwhile, since we hold a handle on it
/// (<see cref="MembersKeepTheirPids"/>). A process that has exited is in no snapshot, even while a
/// handle on it (its parent's, say) keeps its pid: its children's entries name a pid that the
/// snapshot does not list. So each round also opens every such pid and follows its parent pids,
/// through processes the snapshot does not list, to a member, with the same checks at every link
/// (<see cref="AdmitUnlisted"/>).</para>
/// <para>A suspended process creates no process, and NtSuspendProcess takes effect at once
/// (<see cref="FreezesAtOnce"/>); yet a thread that was inside CreateProcess when its process was
/// suspended or terminated can still finish creating a child, so a kill walks again once every
/// member has exited (<see cref="WalksAfterExit"/>). Without NtSuspendProcess (it reports
/// STATUS_NOT_IMPLEMENTED), nothing is frozen, and that loop alone ends the tree.</para>
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed partial class WindowsTreeBackend : ITreeBackend<WindowsTreeMember>
{
    /// <summary>
    /// The exit code of every member a tree kill ends: −1 (0xFFFFFFFF), as <see cref="System.Diagnostics.Process.Kill()"/>
    /// and the forced step of <see cref="StopOptions.Default"/> give, so that a killed process reads
    /// the same whichever of them ended it, and is not mistaken for a program's own exit 1.
    /// </summary>
    internal const int KillExitCode = -1;

    /// <summary>The access every member is opened with.</summary>
    internal const uint MemberAccess =
        Kernel32.PROCESS_TERMINATE | Kernel32.SYNCHRONIZE | Kernel32.PROCESS_QUERY_LIMITED_INFORMATION | Kernel32.PROCESS_SUSPEND_RESUME;

    private static int s_suspendUnavailable;

    private readonly uint _access;
    private readonly string _action;
    private readonly int _rootPid;
    private int? _sig;
    private int _exitedDuringWalk;

    private WindowsTreeBackend(uint access, string action, int rootPid, int? sig)
    {
        _access = access;
        _action = action;
        _rootPid = rootPid;
        _sig = sig;
    }

    /// <summary>False once NtSuspendProcess has said STATUS_NOT_IMPLEMENTED: walks no longer freeze.</summary>
    public bool CanFreeze => Volatile.Read(ref s_suspendUnavailable) == 0;

    public int KillSignal => KillExitCode;

    public string KillName => string.Create(CultureInfo.InvariantCulture, $"TerminateProcess (exit code {KillExitCode})");

    public string FreezeName => "NtSuspendProcess";

    public string SendOperation => "TerminateProcess";

    public TimeSpan StopLimit => TimeSpan.Zero;

    public TimeSpan SpinLimit => TimeSpan.Zero;

    /// <summary>Resuming sends nothing; there is no signal to name.</summary>
    public int ThawSignal => 0;

    public bool MembersKeepTheirPids => true;

    public bool FreezesAtOnce => true;

    public bool WalksAfterExit => true;

    public int? ExitedDuringWalk => _exitedDuringWalk;

    public string NotExitedHint => string.Empty;

    /// <summary>
    /// Opens our own handle on the process that <paramref name="root"/> names, after checking that
    /// its tree does not hold the caller, and the backend for a walk "to <paramref name="action"/> the
    /// process tree" (with <paramref name="sig"/>, for messages). Returns both.
    /// </summary>
    internal static (WindowsTreeBackend Backend, WindowsTreeMember Root) Open(SafeHandle root, int rootPid, uint access, string action, int? sig)
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

        var backend = new WindowsTreeBackend(access, action, pid, sig);

        // While the caller's handle is open, the pid cannot be reused: OpenProcess reaches the
        // same process, even if it has exited.
        nint handle = Kernel32.OpenProcess(access, inheritHandle: false, pid);
        if (handle == 0)
        {
            throw Win32Errors.LastProcessError("OpenProcess", $"cannot open pid {pid} to {backend.Purpose()}", pid, sig);
        }

        var owned = new SafeProcessHandle(handle, ownsHandle: true);
        long created;
        try
        {
            created = backend.ReadIdentity(handle, pid).Created;
        }
        catch
        {
            owned.Dispose();
            throw;
        }

        return (backend, backend.Enroll(pid, owned, created));
    }

    public void BeginStep(int sig) => _sig = sig;

    public bool HoldsPid(WindowsTreeMember member) => true;

    public bool HasExited(WindowsTreeMember member) => ProcessWait.HasExited(member.Handle);

    public bool AlreadyEnded(WindowsTreeMember member) => member.Terminated;

    public bool IsQuiet(WindowsTreeMember member, bool thorough) => true;

    public string DescribeNotStopped(WindowsTreeMember member) => member.Describe();

    public bool IsKill(int sig) => !IsConsoleEvent(sig);

    public bool IsGroupSignal(int sig) => IsConsoleEvent(sig);

    /// <summary>Suspends the member (NtSuspendProcess, which raises no audit event), or notes that it has exited.</summary>
    public void Freeze(WindowsTreeMember m)
    {
        if (!CanFreeze || m.Exited || m.Terminated || m.Suspended)
        {
            return;
        }

        int status = Ntdll.NtSuspendProcess(m.Handle.DangerousGetHandle());
        if (status == Ntdll.STATUS_SUCCESS)
        {
            m.Suspended = true;
            m.Stopped = true;
            m.StoppedByUs = true;
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

    /// <summary>Resumes a member we suspended and did not end. Returns 0, or ESRCH when it has exited; throws when resuming failed otherwise.</summary>
    public int Thaw(WindowsTreeMember m)
    {
        if (!m.Suspended || m.Terminated || m.Handle.IsClosed)
        {
            return 0;
        }

        m.Suspended = false;
        int status = Ntdll.NtResumeProcess(m.Handle.DangerousGetHandle());
        if (status == Ntdll.STATUS_SUCCESS)
        {
            return 0;
        }

        return ProcessWait.HasExited(m.Handle)
            ? Errno.ESRCH
            : throw NtError(status, "NtResumeProcess", $"cannot resume pid {m.Pid}, suspended to {Purpose()}", m.Pid);
    }

    /// <summary>Ends the member with TerminateProcess(<paramref name="exitCode"/>), once. Returns 0, ESRCH when it had exited, or the errno of the Win32 error.</summary>
    public int Send(WindowsTreeMember m, int exitCode)
    {
        if (m.Terminated)
        {
            return 0;
        }

        bool terminated = Kernel32.TerminateProcess(m.Handle.DangerousGetHandle(), unchecked((uint)exitCode));
        int error = terminated ? 0 : Marshal.GetLastPInvokeError();
        OsKillEventSource.Log.WindowsKill(m.Pid, exitCode, error);
        if (terminated)
        {
            m.Terminated = true;
            return 0;
        }

        if (ProcessWait.HasExited(m.Handle))
        {
            // TerminateProcess fails with access denied on a process that is exiting.
            return Errno.ESRCH;
        }

        m.LastError = error;
        int errno = WinError.ToErrno(error);
        return errno is 0 or Errno.ESRCH ? Errno.EIO : errno;
    }

    public Exception SendFailed(WindowsTreeMember m, int exitCode, int errno, string purpose) =>
        OsException.FromWin32(m.LastError, WinError.ToErrno(m.LastError), "TerminateProcess", $"cannot end pid {m.Pid} to {Purpose()}", m.Pid, exitCode);

    private static bool IsConsoleEvent(int sig) => sig is WindowsSignals.CtrlCEvent or WindowsSignals.CtrlBreakEvent;

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
}
