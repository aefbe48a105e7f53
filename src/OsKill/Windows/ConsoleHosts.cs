using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// Console hosts (conhost.exe) among the processes a tree kill or a container ends. A console
/// program started on a console of its own (CreateNoWindow, CREATE_NEW_CONSOLE) has that console's
/// host as a child: a member of its tree, and of its job. Under Wine 8, ending the host ends at once,
/// with exit code 0, every process waiting in a read of its console, suspended or not, before a
/// TerminateProcess meant for them arrives. Ended after them, the host changes nothing: the first
/// TerminateProcess that reaches a process fixes its exit code. So hosts are ended last.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class ConsoleHosts
{
    /// <summary>TerminateProcess and NtSuspendProcess (with <see cref="JobMembers.QueryAccess"/>: IsProcessInJob and QueryFullProcessImageNameW).</summary>
    private const uint JobMemberAccess = Kernel32.PROCESS_TERMINATE | Kernel32.PROCESS_SUSPEND_RESUME;

    /// <summary>True when the process runs conhost.exe (by the file name of its image; false when that cannot be read).</summary>
    internal static unsafe bool IsConsoleHost(SafeHandle process)
    {
        const int Capacity = 1024;
        char* path = stackalloc char[Capacity];
        uint length = Capacity;
        using var lease = SafeHandleLease.Acquire(process);
        if (!Kernel32.QueryFullProcessImageName(lease.Value, 0, path, ref length))
        {
            return false;
        }

        ReadOnlySpan<char> image = new(path, (int)length);
        return image[(image.LastIndexOf('\\') + 1)..].Equals("conhost.exe", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Before a TerminateJobObject: when the job's <paramref name="pids"/> (listed just before, their
    /// os.kill events raised) include a console host, ends the others first, each with
    /// TerminateProcess(<paramref name="exitCode"/>), so that the TerminateJobObject that follows ends
    /// the hosts after them. Each pid is opened and checked to be in the job (a listed process that
    /// has exited may have left its pid to a process outside it). Does nothing when no host is listed.
    /// A process that cannot be opened or ended here is left to TerminateJobObject, which ends every
    /// process of the job and reports its own failure.
    /// </summary>
    internal static void EndJobClientsFirst(SafeHandle job, List<int> pids, int exitCode)
    {
        using var members = JobMembers.Open(job, pids, JobMemberAccess);
        var opened = members.Opened.Select(m => (m.Pid, m.Handle, Host: IsConsoleHost(m.Handle))).ToList();
        if (!opened.Exists(p => p.Host))
        {
            return;
        }

        // The hosts are suspended first (as the tree kill freezes every member), so that none
        // can exit by itself while its clients end; where NtSuspendProcess fails or is not
        // implemented, nothing changes but that guard. Then the clients, then at once the hosts,
        // through the handles already open: a host whose last client has gone exits by itself,
        // with 0, and under Wine it did so before TerminateJobObject reached it (seen again under
        // load with the hosts ended right after their clients).
        foreach ((_, SafeProcessHandle handle, bool host) in opened)
        {
            if (host)
            {
                _ = Ntdll.NtSuspendProcess(handle.DangerousGetHandle());
            }
        }

        foreach (bool hosts in new[] { false, true })
        {
            foreach ((int pid, SafeProcessHandle handle, bool host) in opened)
            {
                if (host == hosts)
                {
                    bool terminated = Kernel32.TerminateProcess(handle.DangerousGetHandle(), unchecked((uint)exitCode));
                    OsKillEventSource.Log.WindowsKill(pid, exitCode, terminated ? 0 : Marshal.GetLastPInvokeError());
                }
            }
        }
    }
}
