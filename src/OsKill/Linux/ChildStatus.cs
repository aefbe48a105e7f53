using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Linux;

/// <summary>
/// Reads how a child of ours ended, through its pidfd, without reaping it: waitid(P_PIDFD, WNOWAIT)
/// leaves the zombie for whoever reaps it (usually .NET's Process class).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class ChildStatus
{
    internal static unsafe ExitStatus? TryRead(SafeHandle pidfd)
    {
        byte* info = stackalloc byte[128];
        new Span<byte>(info, 128).Clear();
        using (var lease = SafeHandleLease.Acquire(pidfd))
        {
            if (Libc.WaitId(Libc.P_PIDFD, lease.FileDescriptor, info, Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT) != 0)
            {
                return null; // ECHILD: not our child, or already reaped.
            }
        }

        // siginfo_t: si_signo, si_errno, si_code, then the union, aligned to the pointer size;
        // for SIGCHLD it starts with si_pid, si_uid, si_status.
        int code = *(int*)(info + 8);
        int unionOffset = IntPtr.Size == 8 ? 16 : 12;
        int pid = *(int*)(info + unionOffset);
        int status = *(int*)(info + unionOffset + 8);
        if (pid == 0)
        {
            return null; // WNOHANG and still running.
        }

        return code switch
        {
            Libc.CLD_EXITED => new ExitStatus(status, null),
            Libc.CLD_KILLED => new ExitStatus(null, status),
            Libc.CLD_DUMPED => new ExitStatus(null, status, CoreDumped: true),
            _ => null,
        };
    }
}
