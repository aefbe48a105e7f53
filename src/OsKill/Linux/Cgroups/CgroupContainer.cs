using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Posix;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// How <see cref="ProcessContainer"/> works on Linux: a cgroup v2 directory of its own. A process
/// written into cgroup.procs is inside, and so is every process it forks afterwards, whatever it
/// does with setsid or double forks. The kill writes cgroup.kill (Linux 5.14+), which the kernel
/// applies to every member and to any fork racing with it; on older kernels it freezes the cgroup
/// (cgroup.freeze, Linux 5.2+) and sends SIGKILL to each member through a pidfd. It then waits until
/// cgroup.events says "populated 0", woken by poll(2) (POLLPRI on that file), not by a timer.
/// </summary>
/// <remarks>
/// Disposal kills what is left, waits until the cgroup is empty and removes it, then releases the
/// owner watchdog. When that fails, the watchdog finishes the job (its pipe is closed without a
/// word: it kills what is left and removes the cgroup, as if the owner had died); after an audit
/// hook's veto it is released instead, so that nothing kills what the hook spared, and the cgroup
/// stays. <see cref="Dispose"/> reports the failure through <see cref="OsKillEventSource"/>;
/// <see cref="DisposeAsync"/> throws it.
/// <para>Only <see cref="Create"/>, the one way to an instance, is marked Linux-only (so CA1416
/// proves that the platform selection guards it): <see cref="FindMount"/> is also called by
/// PlatformServices (is there a cgroup v2 at all); the tree walk reads the mount through CgroupMount.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class CgroupContainer : IContainerBackend
{
    /// <summary>How long the members may take to exit after the kill.</summary>
    internal static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(10);

    private const string CannotCreate = "cannot create a process container";

    private static int s_next;

    private readonly object _gate = new();
    private readonly CgroupKill _kill;
    private OwnerWatchdog? _watchdog;
    private bool _disposed;

    private CgroupContainer(string path)
    {
        CgroupPath = path;
        _kill = new CgroupKill(path);
    }

    /// <summary>The cgroup directory.</summary>
    public string CgroupPath { get; }

    internal string ProcsPath => CgroupPath + "/cgroup.procs";

    private CgroupEvents Events => new(CgroupPath + "/cgroup.events");

    /// <summary>The mount point of the cgroup v2 hierarchy, from /proc/self/mountinfo, or null when there is none (or mountinfo cannot be read).</summary>
    internal static string? FindMount(out string mountRoot) => CgroupMount.Find(out mountRoot, out _);

    /// <summary>
    /// Creates a cgroup under the caller's own cgroup (the "0::" line of /proc/self/cgroup), or under
    /// the root of the hierarchy when the caller's cgroup is not visible in the mount.
    /// </summary>
    /// <exception cref="OsException">/proc/self/mountinfo or /proc/self/cgroup cannot be read, or the watchdog cannot be started (EMFILE when the process is out of descriptors), or mkdir failed.</exception>
    [SupportedOSPlatform("linux")]
    internal static CgroupContainer Create()
    {
        string? mount = CgroupMount.Find(out string mountRoot, out int errno);
        if (errno != 0)
        {
            throw OsException.FromErrno(errno, "read", $"{CannotCreate}: cannot read {CgroupMount.MountInfo} to find the cgroup v2 mount", null, null);
        }

        if (mount is null)
        {
            throw new PlatformNotSupportedException(
                "ProcessContainer needs a cgroup v2 hierarchy, and /proc/self/mountinfo lists no cgroup2 file system. " +
                "Mount one (mount -t cgroup2 none /sys/fs/cgroup) or boot with systemd.unified_cgroup_hierarchy=1.");
        }

        string? own = CgroupMount.OwnDirectory(mount, mountRoot, out errno);
        if (errno != 0)
        {
            throw OsException.FromErrno(errno, "read", $"{CannotCreate}: cannot read {CgroupMount.OwnCgroup} to find the caller's own cgroup", null, null);
        }

        string parent = own ?? mount;
        string name = string.Create(
            CultureInfo.InvariantCulture,
            $"oskill-{Environment.ProcessId}-{Interlocked.Increment(ref s_next)}-{Random.Shared.Next():x8}");
        string path = parent.TrimEnd('/') + "/" + name;
        if (Libc.Mkdir(path, Convert.ToUInt32("755", 8)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.EACCES or Errno.EPERM or Errno.EROFS)
            {
                throw new UnauthorizedAccessException(
                    $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}: cannot create the cgroup {path} (mkdir). " +
                    "Creating a cgroup needs root, or write access to a delegated cgroup (systemd: Delegate=yes, as systemd-run --user --scope -p Delegate=yes gives).");
            }

            throw OsException.FromErrno(errno, "mkdir", "cannot create the cgroup " + path, null, null);
        }

        var container = new CgroupContainer(path);
        try
        {
            container._watchdog = OwnerWatchdog.Start(path, ContainerLaunch.ShellTakesP);
        }
        catch (Win32Exception e) when (e.NativeErrorCode > 0)
        {
            // Process.Start's failure carries the errno (EMFILE: it needs pipes): say it as one.
            _ = Libc.Rmdir(path);
            throw OsException.FromErrno(e.NativeErrorCode, "fork/exec", $"{CannotCreate}: cannot start the watchdog of the cgroup {path} ({e.Message}); the cgroup was removed", null, null);
        }
        catch
        {
            _ = Libc.Rmdir(path);
            throw;
        }

        return container;
    }

    /// <summary>Moves the process into the cgroup by writing its pid to cgroup.procs.</summary>
    public void Add(int pid)
    {
        ThrowIfDisposed();
        RefuseCaller(pid);
        int errno = CgroupFiles.Write(ProcsPath, pid.ToString(CultureInfo.InvariantCulture));
        if (errno != 0)
        {
            throw CgroupFiles.WriteError(errno, ProcsPath, $"cannot move pid {pid} into the cgroup {CgroupPath}", pid);
        }
    }

    /// <summary>Moves a started process into the cgroup: cgroup.procs takes a pid, not a handle.</summary>
    public void Add(Process process) => Add(process.Id);

    /// <summary>The processes in the cgroup now (thread-group ids, from cgroup.procs).</summary>
    public IReadOnlyList<int> ProcessIds()
    {
        ThrowIfDisposed();
        return ReadProcs();
    }

    /// <summary>Starts a process that is inside the cgroup before its program runs: see <see cref="ContainerLaunch"/>.</summary>
    public Process Start(ProcessStartInfo startInfo)
    {
        ThrowIfDisposed();
        return ContainerLaunch.Start(startInfo, ProcsPath, CgroupPath);
    }

    /// <summary>
    /// Kills every member on the calling thread (raised in priority where allowed, as for the tree
    /// kill), then waits until the cgroup is empty: on a pool thread only if it is not empty yet.
    /// </summary>
    public async Task<TreeKillResult> KillAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        List<int> killed;
        lock (_gate)
        {
            ThrowIfDisposed();
            using (PriorityBoost.Raise())
            {
                killed = _kill.Run(cancellationToken);
            }
        }

        if (Events.Read("populated") != 0 && !await WaitUntilEmptyAsync(synchronously: false, cancellationToken).ConfigureAwait(false))
        {
            throw NotEmptied();
        }

        return new TreeKillResult(killed, rounds: 0, exitedDuringWalk: 0, started.Elapsed);
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to every member: SIGKILL as the container's kill
    /// (cgroup.kill, see <see cref="CgroupKill"/>), any other signal through <see cref="CgroupSignal"/>.
    /// </summary>
    public IReadOnlyList<int> Signal(int signal, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (!IsKill(signal))
            {
                return CgroupSignal.Send(CgroupPath, signal, cancellationToken);
            }

            using (PriorityBoost.Raise())
            {
                return _kill.Run(cancellationToken);
            }
        }
    }

    /// <summary>SIGKILL.</summary>
    public bool IsKill(int signal) => signal == OsKill.Signal.SIGKILL;

    /// <summary>Waits on a pool thread, in poll(2) on cgroup.events, until it says "populated 0".</summary>
    public Task WaitUntilEmptyAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        CgroupEvents events = Events;
        return events.Read("populated") == 0
            ? Task.CompletedTask
            : Task.Run(() => events.WaitFor("populated", 0, Timeout.InfiniteTimeSpan, cancellationToken), cancellationToken);
    }

    /// <summary>Disposes the container; never throws. A failure goes to the event source (see the remarks of the class).</summary>
    public void Dispose() => ContainerClose.Report(CloseAsync(synchronously: true), CgroupPath);

    /// <summary>Disposes the container, waiting on a pool thread; throws the failure once what is left has been handed over.</summary>
    public ValueTask DisposeAsync() => ContainerClose.ThrowAsync(CloseAsync(synchronously: false));

    /// <summary>
    /// Kills what is left, waits until the cgroup is empty, removes it and releases the watchdog; on
    /// a failure hands over to the watchdog instead (see <see cref="HandOver"/>). Never throws; the
    /// container is disposed either way. With <paramref name="synchronously"/> it waits on the
    /// calling thread and has completed when it returns.
    /// </summary>
    private async Task<ContainerClose.Outcome> CloseAsync(bool synchronously)
    {
        bool populated;
        lock (_gate)
        {
            if (_disposed)
            {
                return ContainerClose.Outcome.Done;
            }

            _disposed = true;
            try
            {
                populated = Events.Read("populated") != 0;
            }
            catch (Exception e)
            {
                return HandOver(e, vetoed: false);
            }

            if (populated)
            {
                try
                {
                    _kill.Run(CancellationToken.None);
                }
                catch (Exception e)
                {
                    return HandOver(e, _kill.Vetoed);
                }
            }
        }

        try
        {
            if (populated && !await WaitUntilEmptyAsync(synchronously, CancellationToken.None).ConfigureAwait(false))
            {
                return HandOver(NotEmptied(), vetoed: false);
            }

            if (await RemoveAsync(synchronously).ConfigureAwait(false) is Exception notRemoved)
            {
                return HandOver(notRemoved, vetoed: false);
            }
        }
        catch (Exception e)
        {
            return HandOver(e, vetoed: false);
        }

        // Only once the cgroup is gone: until then the watchdog still kills it when we die.
        _watchdog?.Release();
        return ContainerClose.Outcome.Done;
    }

    /// <summary>
    /// What a failed close leaves to the watchdog: after a veto, nothing (it is released, so that it
    /// never kills what the hook spared); otherwise everything (its pipe closes without a word, and it
    /// kills what is left and removes the cgroup, as when the owner dies).
    /// </summary>
    private ContainerClose.Outcome HandOver(Exception failure, bool vetoed)
    {
        if (vetoed)
        {
            _watchdog?.Release();
            return new(failure, "an audit hook vetoed the kill, so nobody was killed: the owner watchdog was released, and the cgroup stays with the members the hook spared");
        }

        _watchdog?.Dispose();
        return new(failure, "the owner watchdog kills what is left and removes the cgroup once it is empty");
    }

    /// <summary>rmdir of the cgroup; when it is still being emptied (EBUSY), waits for "populated 0" once and tries again. The error, or null.</summary>
    private async Task<Exception?> RemoveAsync(bool synchronously)
    {
        if (Libc.Rmdir(CgroupPath) == 0)
        {
            return null;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno == Errno.EBUSY && Events.Read("populated") != 0)
        {
            await WaitUntilEmptyAsync(synchronously, CancellationToken.None).ConfigureAwait(false);
            errno = Libc.Rmdir(CgroupPath) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        return errno == 0 ? null : OsException.FromErrno(errno, "rmdir", "cannot remove the cgroup " + CgroupPath, null, null);
    }

    /// <summary>Waits up to <see cref="ExitLimit"/> for "populated 0": on the calling thread, or on a pool thread. False at the limit.</summary>
    private async Task<bool> WaitUntilEmptyAsync(bool synchronously, CancellationToken cancellationToken)
    {
        CgroupEvents events = Events;
        return synchronously
            ? events.WaitFor("populated", 0, ExitLimit, cancellationToken)
            : await Task.Run(() => events.WaitFor("populated", 0, ExitLimit, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses the calling process, by pid or by the id of one of its threads (writing a thread id
    /// to cgroup.procs moves the whole thread group): a container holding the caller would kill it.
    /// </summary>
    private void RefuseCaller(int pid)
    {
        if (pid == Environment.ProcessId || ProcFs.ThreadGroupOf(pid) == Environment.ProcessId)
        {
            string what = pid == Environment.ProcessId ? "the calling process itself" : $"a thread of the calling process (pid {Environment.ProcessId})";
            throw new ArgumentException(
                $"Refusing to put pid {pid} into the process container {CgroupPath}: it is {what}, which KillAsync or the end of the container would then kill.",
                nameof(pid));
        }
    }

    private TimeoutException NotEmptied() => new(
        $"Every process in the cgroup {CgroupPath} was sent SIGKILL, but it still had members after {ExitLimit.TotalSeconds:0} s " +
        $"(a process in uninterruptible sleep dies when it wakes): {string.Join(", ", ReadProcs().Take(20))}.");

    private List<int> ReadProcs() => CgroupFiles.ReadPids(ProcsPath);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
