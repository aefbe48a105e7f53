using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Windows.Tree;

namespace OsKill.Windows;

/// <summary>
/// How <see cref="ProcessContainer"/> works on Windows: a job object of its own, with
/// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE. A process assigned to the job is inside, and so is every
/// process it creates afterwards (nothing here grants breakaway). The kill is TerminateJobObject;
/// the call then waits until the job has no active process, woken by the job's I/O completion port
/// (JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO), not by a timer. If this process dies, Windows closes the
/// job handle, and the kill-on-close limit ends everything in the job.
/// </summary>
/// <remarks>
/// <para>Audit: a kill (<see cref="KillAsync"/>, or the disposal of a container that still has
/// processes) raises <c>os.kill</c> <c>(pid, -1)</c> for every pid JobObjectBasicProcessIdList lists,
/// all before TerminateJobObject. A hook that vetoes one ends nobody; in a disposal the job then loses
/// its kill-on-close limit before it is closed, so that the close does not end them either. A process
/// that joins the job between the list and TerminateJobObject (a member's new child) ends without an
/// event of its own. The caller itself is refused by <see cref="Add(int)"/>.</para>
/// <para>Disposal closes the job whatever happens: when the kill fails or a member outlives
/// <see cref="ExitLimit"/>, kill-on-close ends what is left. <see cref="Dispose"/> reports the
/// failure through <see cref="OsKillEventSource"/>; <see cref="DisposeAsync"/> throws it.</para>
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed partial class JobObjectContainer : IContainerBackend
{
    /// <summary>How long the members may take to exit after the kill.</summary>
    internal static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(10);

    private const uint AssignAccess = Kernel32.PROCESS_SET_QUOTA | Kernel32.PROCESS_TERMINATE;

    private readonly KernelHandle _job;
    private readonly SemaphoreSlim _killing = new(1, 1);
    private JobCompletionPort? _port;
    private bool _disposed;
    private bool _vetoed;

    private JobObjectContainer(KernelHandle job)
    {
        _job = job;
    }

    /// <summary>Creates an unnamed job with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE.</summary>
    internal static unsafe JobObjectContainer Create()
    {
        nint raw = Kernel32.CreateJobObject(0, null);
        if (raw == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "CreateJobObjectW", "cannot create the job object of a process container", null, null);
        }

        var job = new KernelHandle(raw);
        var limits = default(Kernel32.JobExtendedLimitInformation);
        limits.BasicLimitInformation.LimitFlags = Kernel32.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        if (!Kernel32.SetInformationJobObject(raw, Kernel32.JobObjectExtendedLimitInformation, &limits, (uint)sizeof(Kernel32.JobExtendedLimitInformation)))
        {
            int error = Marshal.GetLastPInvokeError();
            job.Dispose();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "SetInformationJobObject", "cannot set JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE on the job object of a process container", null, null);
        }

        return new JobObjectContainer(job);
    }

    /// <summary>None: the container is a job object.</summary>
    public string? CgroupPath => null;

    /// <summary>Opens the pid and assigns it to the job.</summary>
    public void Add(int pid)
    {
        ThrowIfDisposed();
        if (pid == Environment.ProcessId)
        {
            throw RefuseCaller(nameof(pid));
        }

        nint raw = Kernel32.OpenProcess(AssignAccess, inheritHandle: false, pid);
        if (raw == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error == WinError.ERROR_INVALID_PARAMETER)
            {
                throw Win32Errors.ProcessError(error, "OpenProcess", $"cannot put pid {pid} into the process container", pid, null);
            }

            throw AssignError(error, pid, "OpenProcess");
        }

        using var process = new SafeProcessHandle(raw, ownsHandle: true);
        Assign(process, pid);
    }

    /// <summary>Assigns a started process, through its handle (<see cref="Process.SafeHandle"/>, which has every right), to the job.</summary>
    public void Add(Process process)
    {
        ThrowIfDisposed();
        SafeHandle handle = process.SafeHandle;
        using var lease = SafeHandleLease.Acquire(handle);

        // The pid the handle names, not the one the Process has: a Process for ourselves names the
        // caller whatever pid came with it.
        if (Kernel32.GetProcessId(lease.Value) == Environment.ProcessId)
        {
            throw RefuseCaller(nameof(process));
        }

        Assign(handle, process.Id);
    }

    /// <summary>
    /// Starts the process, assigns it to the job at once, then walks the descendants it may have
    /// created before the assignment and assigns those too.
    /// </summary>
    public Process Start(ProcessStartInfo startInfo)
    {
        ThrowIfDisposed();
        if (startInfo.UseShellExecute)
        {
            throw new ArgumentException("ProcessContainer.Start needs UseShellExecute = false: with the shell, the process that starts is not always the program, and may be outside the container.", nameof(startInfo));
        }

        if (string.IsNullOrEmpty(startInfo.FileName))
        {
            throw new ArgumentException("ProcessStartInfo.FileName is empty.", nameof(startInfo));
        }

        Process process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Process.Start returned no process for {startInfo.FileName}.");
        try
        {
            Assign(process.SafeHandle, process.Id);

            // Process.Start cannot create the process suspended, so it ran for the moment between
            // CreateProcess and the assignment: whatever it created then is outside. Find it by
            // parent pid (our handle keeps the pid from being reused) and put it in too.
            WindowsDescendants.ForEach(process.SafeHandle, AssignAccess, "contain", (pid, handle) =>
            {
                if (!Kernel32.IsProcessInJob(handle.DangerousGetHandle(), _job.DangerousGetHandle(), out bool inside) || !inside)
                {
                    Assign(handle, pid);
                }
            });
        }
        catch
        {
            // Never leave running, outside the container, what the caller asked to have inside.
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }

            process.Dispose();
            throw;
        }

        return process;
    }

    /// <summary>The pids in the job now (JobObjectBasicProcessIdList).</summary>
    public IReadOnlyList<int> ProcessIds()
    {
        ThrowIfDisposed();
        return QueryProcessIds();
    }

    /// <summary>TerminateJobObject (exit code −1), then waits until the job has no active process.</summary>
    public async Task<TreeKillResult> KillAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        ThrowIfDisposed();
        await _killing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            List<int> killed = ListForKill();
            KillAnnouncement.AnnounceAll(killed, WindowsTreeBackend.KillExitCode, out _vetoed);
            Terminate(killed, WindowsTreeBackend.KillExitCode);
            if (ActiveProcesses() != 0 && !await WaitUntilEmptyAsync(synchronously: false, Deadline.After(ExitLimit), cancellationToken).ConfigureAwait(false))
            {
                throw NotEmptied();
            }

            return new TreeKillResult(killed, rounds: 0, exitedDuringWalk: 0, started.Elapsed);
        }
        finally
        {
            _killing.Release();
        }
    }

    /// <summary>Disposes the container; never throws. A failure goes to the event source (see the remarks of the class).</summary>
    public void Dispose() => ContainerClose.Report(CloseAsync(synchronously: true), "job object");

    /// <summary>Disposes the container, waiting on a pool thread; throws the failure once the job is closed.</summary>
    public ValueTask DisposeAsync() => ContainerClose.ThrowAsync(CloseAsync(synchronously: false));

    /// <summary>
    /// Kills what is left, waits until the job is empty, and closes it, whatever happened (closing
    /// the last handle ends what is still in it, kill on close, unless a veto took that limit off).
    /// Never throws. With <paramref name="synchronously"/> it waits on the calling thread and has
    /// completed when it returns.
    /// </summary>
    private async Task<ContainerClose.Outcome> CloseAsync(bool synchronously)
    {
        if (synchronously)
        {
            _killing.Wait();
        }
        else
        {
            await _killing.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            if (_disposed)
            {
                return ContainerClose.Outcome.Done;
            }

            _disposed = true;
            _vetoed = false;
            try
            {
                if (ActiveProcesses() != 0)
                {
                    List<int> pids = ListForKill();
                    KillAnnouncement.AnnounceAll(pids, WindowsTreeBackend.KillExitCode, out _vetoed);
                    Terminate(pids, WindowsTreeBackend.KillExitCode);
                    if (!await WaitUntilEmptyAsync(synchronously, Deadline.After(ExitLimit), CancellationToken.None).ConfigureAwait(false))
                    {
                        return Closed(new TimeoutException($"Every process in the process container was ended with TerminateJobObject, but some had not exited after {ExitLimit.TotalSeconds:0} s."));
                    }
                }
            }
            catch (Exception e)
            {
                if (_vetoed)
                {
                    // Vetoed: the close below must not kill what the hook protects.
                    ReleaseOnClose();
                }

                return Closed(e);
            }
            finally
            {
                // Closing the last handle on the job ends whatever is still in it (kill on close).
                _job.Dispose();
                _port?.Dispose();
            }

            return ContainerClose.Outcome.Done;
        }
        finally
        {
            _killing.Release();
        }
    }

    /// <summary>The outcome of a disposal that failed with <paramref name="failure"/>: what the close of the job did with what was left.</summary>
    private ContainerClose.Outcome Closed(Exception failure) => new(
        failure,
        _vetoed
            ? "an audit hook vetoed the kill, so nobody was killed: the job lost its kill-on-close limit before it was closed"
            : "the job was closed, and its kill-on-close limit ends what is left");

    /// <summary>The pids in the job now, whether or not the container is disposed.</summary>
    private unsafe List<int> QueryProcessIds()
    {
        int capacity = 64;
        while (true)
        {
            int size = (2 * sizeof(uint)) + (capacity * sizeof(nuint));
            byte[] buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                bool ok = Kernel32.QueryInformationJobObject(_job.DangerousGetHandle(), Kernel32.JobObjectBasicProcessIdList, p, (uint)size, out _);
                int error = ok ? 0 : Marshal.GetLastPInvokeError();
                uint assigned = ((uint*)p)[0];
                uint listed = ((uint*)p)[1];
                if (!ok && error != Kernel32.ERROR_MORE_DATA)
                {
                    throw OsException.FromWin32(error, WinError.ToErrno(error), "QueryInformationJobObject", "cannot list the processes of a process container", null, null);
                }

                // Success means the list is complete (it may hold fewer than the count: Wine, for
                // one, counts processes that are exiting but does not list them).
                if (ok)
                {
                    var pids = new List<int>((int)listed);
                    nuint* ids = (nuint*)(p + (2 * sizeof(uint)));
                    for (int i = 0; i < listed; i++)
                    {
                        pids.Add((int)ids[i]);
                    }

                    return pids;
                }

                // More processes than room: grow, with a margin for those starting meanwhile.
                capacity = Math.Max(capacity * 2, (int)assigned + 16);
            }
        }
    }

    private void Assign(SafeHandle process, int pid)
    {
        using var lease = SafeHandleLease.Acquire(process);
        if (!Kernel32.AssignProcessToJobObject(_job.DangerousGetHandle(), lease.Value))
        {
            throw AssignError(Marshal.GetLastPInvokeError(), pid, "AssignProcessToJobObject");
        }
    }

    /// <summary>
    /// The caller may not be a member: the container would kill it (its kill, its Dispose, and the
    /// close of its job when the caller exits), and a process never leaves a job once in it.
    /// </summary>
    private static ArgumentException RefuseCaller(string paramName) => new(
        $"Refusing to put the calling process (pid {Environment.ProcessId}) into its own process container: " +
        "KillAsync and Dispose would end the caller, and a process can never leave a job object. Nothing was done.",
        paramName);

    private static Exception AssignError(int error, int pid, string operation)
    {
        if (error == WinError.ERROR_ACCESS_DENIED)
        {
            return new UnauthorizedAccessException(
                $"[WinError {error}] {Marshal.GetPInvokeErrorMessage(error).TrimEnd('.', ' ', '\r', '\n')}: cannot put pid {pid} into the process container ({operation}). " +
                "The process may belong to another user, or be in a job that does not allow nesting (before Windows 8 a process can be in one job only).");
        }

        return OsException.FromWin32(error, WinError.ToErrno(error), operation, $"cannot put pid {pid} into the process container", pid, null);
    }

    /// <summary>Drains stale packets from the port, and returns the pids in the job now.</summary>
    private List<int> ListForKill()
    {
        // Messages from before this kill (processes started and exited): not what we wait for.
        Port().Drain();
        return QueryProcessIds();
    }

    /// <summary>Ends every process in the job with <paramref name="exitCode"/> (TerminateJobObject; console hosts last, see <see cref="ConsoleHosts"/>); <paramref name="pids"/> were listed just before.</summary>
    private void Terminate(List<int> pids, int exitCode)
    {
        ConsoleHosts.EndJobClientsFirst(_job, pids, exitCode);
        if (!Kernel32.TerminateJobObject(_job.DangerousGetHandle(), unchecked((uint)exitCode)))
        {
            int error = Marshal.GetLastPInvokeError();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "TerminateJobObject", $"cannot end the {pids.Count} process(es) of the process container with exit code {exitCode}", null, exitCode);
        }
    }

    /// <summary>
    /// Takes JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE off the job, so that closing it ends nobody: after a
    /// hook vetoed the kill of a Dispose. Should that fail, the close ends the members all the same.
    /// </summary>
    private unsafe void ReleaseOnClose()
    {
        var limits = default(Kernel32.JobExtendedLimitInformation);
        _ = Kernel32.SetInformationJobObject(_job.DangerousGetHandle(), Kernel32.JobObjectExtendedLimitInformation, &limits, (uint)sizeof(Kernel32.JobExtendedLimitInformation));
    }

    /// <summary>The job's active process count (JobObjectBasicAccountingInformation).</summary>
    private unsafe uint ActiveProcesses()
    {
        Kernel32.JobBasicAccountingInformation info;
        if (!Kernel32.QueryInformationJobObject(_job.DangerousGetHandle(), Kernel32.JobObjectBasicAccountingInformation, &info, (uint)sizeof(Kernel32.JobBasicAccountingInformation), out _))
        {
            int error = Marshal.GetLastPInvokeError();
            throw OsException.FromWin32(error, WinError.ToErrno(error), "QueryInformationJobObject", "cannot read the active process count of a process container", null, null);
        }

        return info.ActiveProcesses;
    }

    /// <summary>Waits until the job has no active process: on the calling thread, or on a pool thread. False at <paramref name="deadline"/>.</summary>
    private async Task<bool> WaitUntilEmptyAsync(bool synchronously, long deadline, CancellationToken cancellationToken)
    {
        return synchronously
            ? WaitUntilEmpty(deadline, cancellationToken)
            : await Task.Run(() => WaitUntilEmpty(deadline, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The job's completion port, made and associated at the first kill: from then on the job posts
    /// a message for every process start and exit, so a container that never kills queues nothing.
    /// </summary>
    private JobCompletionPort Port() => _port ??= JobCompletionPort.Associate(_job);

    /// <summary>
    /// Waits, on the calling thread, until the job has no active process: each packet on the port
    /// (JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO, or another message) wakes it to read the count again.
    /// False at the deadline.
    /// </summary>
    private bool WaitUntilEmpty(long deadline, CancellationToken cancellationToken) =>
        Port().WaitUntil(() => ActiveProcesses() == 0, deadline, cancellationToken);

    private TimeoutException NotEmptied() => new(
        $"Every process in the process container was ended with TerminateJobObject (exit code {WindowsTreeBackend.KillExitCode}), but it still had " +
        $"{ActiveProcesses()} active process(es) after {ExitLimit.TotalSeconds:0} s: {string.Join(", ", QueryProcessIds().Take(20))}.");

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
