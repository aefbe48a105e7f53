using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
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
internal sealed class CgroupContainer : IDisposable
{
    /// <summary>How long the freeze (before Linux 5.14) may take before the kill goes ahead all the same.</summary>
    internal static readonly TimeSpan FreezeLimit = TimeSpan.FromSeconds(2);

    /// <summary>How long the members may take to exit after the kill.</summary>
    internal static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(10);

    private const string CannotCreate = "cannot create a process container";

    private static int s_next;

    private readonly object _gate = new();
    private OwnerWatchdog? _watchdog;
    private bool _disposed;

    private CgroupContainer(string path)
    {
        CgroupPath = path;
    }

    /// <summary>The cgroup directory.</summary>
    internal string CgroupPath { get; }

    internal string ProcsPath => CgroupPath + "/cgroup.procs";

    private string EventsPath => CgroupPath + "/cgroup.events";

    /// <summary>The mount point of the cgroup v2 hierarchy, from /proc/self/mountinfo, or null when there is none (or mountinfo cannot be read).</summary>
    internal static string? FindMount(out string mountRoot) => CgroupMount.Find(out mountRoot, out _);

    /// <summary>
    /// Creates a cgroup under the caller's own cgroup (the "0::" line of /proc/self/cgroup), or under
    /// the root of the hierarchy when the caller's cgroup is not visible in the mount.
    /// </summary>
    /// <exception cref="OsException">/proc/self/mountinfo or /proc/self/cgroup cannot be read, or the watchdog cannot be started (EMFILE when the process is out of descriptors), or mkdir failed.</exception>
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
    internal void Add(int pid)
    {
        ThrowIfDisposed();
        RefuseCaller(pid);
        int errno = WriteFile(ProcsPath, pid.ToString(CultureInfo.InvariantCulture));
        if (errno != 0)
        {
            throw WriteError(errno, ProcsPath, $"cannot move pid {pid} into the cgroup {CgroupPath}", pid);
        }
    }

    /// <summary>The processes in the cgroup now (thread-group ids, from cgroup.procs).</summary>
    internal List<int> ProcessIds()
    {
        ThrowIfDisposed();
        return ReadProcs();
    }

    /// <summary>Starts a process that is inside the cgroup before its program runs: see <see cref="ContainerLaunch"/>.</summary>
    internal Process Start(ProcessStartInfo startInfo)
    {
        ThrowIfDisposed();
        return ContainerLaunch.Start(startInfo, ProcsPath, CgroupPath);
    }

    /// <summary>
    /// Kills every member on the calling thread (raised in priority where allowed, as for the tree
    /// kill), then waits until the cgroup is empty: on a pool thread only if it is not empty yet.
    /// </summary>
    internal async Task<TreeKillResult> KillAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        List<int> killed;
        lock (_gate)
        {
            ThrowIfDisposed();
            using (PriorityBoost.Raise())
            {
                killed = KillMembers(cancellationToken);
            }
        }

        if (ReadEvent("populated") != 0)
        {
            bool empty = await Task.Run(() => WaitForEvent("populated", 0, ExitLimit, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (!empty)
            {
                throw NotEmptied();
            }
        }

        return new TreeKillResult(killed, rounds: 0, exitedDuringWalk: 0, started.Elapsed);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (ReadEvent("populated") != 0)
            {
                KillMembers(CancellationToken.None);
                if (!WaitForEvent("populated", 0, ExitLimit, CancellationToken.None))
                {
                    throw NotEmptied();
                }
            }

            if (Libc.Rmdir(CgroupPath) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();

                // Still being emptied (the last member is exiting): wait for "populated 0", once.
                if (errno == Errno.EBUSY && ReadEvent("populated") != 0)
                {
                    WaitForEvent("populated", 0, ExitLimit, CancellationToken.None);
                    errno = Libc.Rmdir(CgroupPath) == 0 ? 0 : Marshal.GetLastPInvokeError();
                }

                if (errno != 0)
                {
                    throw OsException.FromErrno(errno, "rmdir", "cannot remove the cgroup " + CgroupPath, null, null);
                }
            }

            // Only once the cgroup is gone: until then the watchdog still kills it when we die.
            _watchdog?.Release();
            _disposed = true;
        }
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

    /// <summary>Sends SIGKILL to every member (cgroup.kill, or freeze and pidfds). Returns the pids it listed.</summary>
    private List<int> KillMembers(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var killed = new List<int>();
        if (File.Exists(CgroupPath + "/cgroup.kill"))
        {
            // The kernel sends SIGKILL to every member, and to any child forked while it does, so
            // nothing is left whatever the members do meanwhile. The list is read just before.
            killed.AddRange(ReadProcs());

            // Every member listed is announced before the write, which kills them all at once:
            // a hook's veto of any one kills nobody.
            foreach (int pid in killed)
            {
                Audit.RaiseKill(pid, Signal.SIGKILL);
            }

            WriteOrThrow(CgroupPath + "/cgroup.kill", "1", "cannot kill the cgroup " + CgroupPath);
            return killed;
        }

        // Before Linux 5.14: freeze, so that no member forks while we read the list and kill each
        // one through a pidfd; new children of a freezing cgroup are born frozen, and a fatal
        // signal still kills a frozen process.
        string freeze = CgroupPath + "/cgroup.freeze";
        WriteOrThrow(freeze, "1", "cannot freeze the cgroup " + CgroupPath);
        try
        {
            // A member slow to freeze (uninterruptible sleep) does not stop the kill: the rounds
            // of KillEach list the container again until no new member shows up.
            _ = WaitForEvent("frozen", 1, FreezeLimit, cancellationToken);
            KillEach(killed);
        }
        finally
        {
            // Thaw, so that the container takes new processes; the killed ones die all the same.
            WriteOrThrow(freeze, "0", "cannot thaw the cgroup " + CgroupPath);
        }

        return killed;
    }

    private TimeoutException NotEmptied() => new(
        $"Every process in the cgroup {CgroupPath} was sent SIGKILL, but it still had members after {ExitLimit.TotalSeconds:0} s " +
        $"(a process in uninterruptible sleep dies when it wakes): {string.Join(", ", ReadProcs().Take(20))}.");

    /// <summary>Kernels before 5.14 have no cgroup.kill: SIGKILL each listed member through a pidfd, until a read of cgroup.procs shows no new one.</summary>
    private void KillEach(List<int> killed)
    {
        var seen = new HashSet<int>();
        while (true)
        {
            // The cgroup is frozen: the list cannot grow while the round announces it, then kills it.
            var round = ReadProcs().Where(seen.Add).ToList();
            foreach (int pid in round)
            {
                Audit.RaiseKill(pid, Signal.SIGKILL);
            }

            bool any = false;
            foreach (int pid in round)
            {
                any = true;
                int fd = Libc.PidfdOpen(pid, 0);
                if (fd < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.ESRCH)
                    {
                        continue;
                    }

                    throw OsException.FromErrno(errno, "pidfd_open", $"cannot open a pidfd for pid {pid} in the cgroup {CgroupPath}", pid, null);
                }

                using var pidfd = new SafePidfdHandle(fd, pid);
                int sent = Libc.PidfdSendSignal(fd, Signal.SIGKILL, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
                OsKillEventSource.Log.PidfdSendSignal(fd, pid, Signal.SIGKILL, sent);
                if (sent == 0)
                {
                    killed.Add(pid);
                }
                else if (sent != Errno.ESRCH)
                {
                    throw OsException.FromErrno(sent, "pidfd_send_signal", OsException.Sending(Signal.SIGKILL, pidfd.ToString()) + " in the cgroup " + CgroupPath, pid, Signal.SIGKILL);
                }
            }

            if (!any)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Waits until cgroup.events shows <paramref name="key"/> with <paramref name="value"/>, woken by
    /// POLLPRI on the file (the kernel notifies every change). Returns false at the limit.
    /// </summary>
    private unsafe bool WaitForEvent(string key, int value, TimeSpan limit, CancellationToken cancellationToken)
    {
        int fd = Libc.Open(EventsPath, Libc.O_RDONLY | Libc.O_CLOEXEC_Linux);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw OsException.FromErrno(errno, "open", "cannot open " + EventsPath, null, null);
        }

        try
        {
            long deadline = FdWait.Deadline(limit);
            using var wait = new FdWait(cancellationToken);
            byte[] buffer = new byte[256];
            while (true)
            {
                // A read re-arms the notification: a change after it wakes the poll below.
                nint n;
                fixed (byte* p = buffer)
                {
                    n = Libc.Pread(fd, p, (nuint)buffer.Length, 0);
                }

                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw OsException.FromErrno(errno, "read", "cannot read " + EventsPath, null, null);
                }

                if (ParseEvent(Encoding.ASCII.GetString(buffer, 0, (int)n), key) == value)
                {
                    return true;
                }

                if (!wait.WaitOne(fd, Libc.POLLPRI, deadline))
                {
                    return false;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private int ReadEvent(string key)
    {
        string text;
        try
        {
            text = File.ReadAllText(EventsPath);
        }
        catch (IOException e)
        {
            throw new OsException($"Cannot read {EventsPath}: {e.Message}", e);
        }

        return ParseEvent(text, key);
    }

    private static int ParseEvent(string text, string key)
    {
        foreach (string line in text.Split('\n'))
        {
            if (line.Length > key.Length && line.StartsWith(key, StringComparison.Ordinal) && line[key.Length] == ' ')
            {
                return int.Parse(line.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    private List<int> ReadProcs()
    {
        byte[] buffer = new byte[4096];
        int n = ProcFs.Read(ProcsPath, ref buffer);
        if (n < 0)
        {
            throw OsException.FromErrno(-n, "read", "cannot read " + ProcsPath, null, null);
        }

        var pids = new List<int>();
        ProcFs.ParseNumbers(buffer.AsSpan(0, n), pids);
        return pids;
    }

    private static void WriteOrThrow(string path, string text, string attempt)
    {
        int errno = WriteFile(path, text);
        if (errno != 0)
        {
            throw WriteError(errno, path, attempt, null);
        }
    }

    private static Exception WriteError(int errno, string path, string attempt, int? pid)
    {
        if (errno is Errno.EACCES or Errno.EPERM or Errno.EROFS)
        {
            return new UnauthorizedAccessException(
                $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}: {attempt} (write {path}). " +
                "Moving processes between cgroups needs write access to both cgroups and to their common ancestor's cgroup.procs.");
        }

        return OsException.FromErrno(errno, "write", $"{attempt} (write {path})", pid, null);
    }

    /// <summary>open, write, close: 0 or the errno (the kernel checks a cgroup write in write(2)).</summary>
    private static unsafe int WriteFile(string path, string text)
    {
        int fd = Libc.Open(path, Libc.O_WRONLY | Libc.O_CLOEXEC_Linux);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        try
        {
            byte[] bytes = Encoding.ASCII.GetBytes(text);
            fixed (byte* p = bytes)
            {
                return Libc.Write(fd, p, (nuint)bytes.Length) < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
