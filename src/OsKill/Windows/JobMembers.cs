using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// Handles on the processes a job lists, each checked to be in the job through the handle just
/// opened: a listed process that has exited may have left its pid to a process outside the job, and
/// the handle keeps the pid from being reused while it is open. Whatever goes to a member goes
/// through (or is checked against) these handles, so that nothing outside the job is reached.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class JobMembers : IDisposable
{
    /// <summary>
    /// The access each member is opened with, at least: IsProcessInJob takes
    /// PROCESS_QUERY_LIMITED_INFORMATION on Windows, PROCESS_QUERY_INFORMATION on Wine 8.
    /// </summary>
    internal const uint QueryAccess = Kernel32.PROCESS_QUERY_INFORMATION | Kernel32.PROCESS_QUERY_LIMITED_INFORMATION;

    private readonly List<(int Pid, SafeProcessHandle Handle)> _opened;

    private JobMembers(List<(int Pid, SafeProcessHandle Handle)> opened)
    {
        _opened = opened;
    }

    /// <summary>The members opened, in the order listed.</summary>
    internal IReadOnlyList<(int Pid, SafeProcessHandle Handle)> Opened => _opened;

    /// <summary>
    /// Opens each of <paramref name="pids"/> (listed from <paramref name="job"/> just before) with
    /// <paramref name="access"/> and <see cref="QueryAccess"/>, and keeps those in the job. A pid that
    /// cannot be opened (it has exited) or names a process outside the job is left out.
    /// </summary>
    internal static JobMembers Open(SafeHandle job, IReadOnlyList<int> pids, uint access)
    {
        var opened = new List<(int Pid, SafeProcessHandle Handle)>(pids.Count);
        try
        {
            using var jobLease = SafeHandleLease.Acquire(job);
            foreach (int pid in pids)
            {
                var handle = new SafeProcessHandle(Kernel32.OpenProcess(access | QueryAccess, inheritHandle: false, pid), ownsHandle: true);
                if (handle.IsInvalid || !Kernel32.IsProcessInJob(handle.DangerousGetHandle(), jobLease.Value, out bool inJob) || !inJob)
                {
                    handle.Dispose();
                    continue;
                }

                opened.Add((pid, handle));
            }
        }
        catch
        {
            opened.ForEach(p => p.Handle.Dispose());
            throw;
        }

        return new JobMembers(opened);
    }

    public void Dispose() => _opened.ForEach(p => p.Handle.Dispose());
}
