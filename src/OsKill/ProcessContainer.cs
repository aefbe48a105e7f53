using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill;

/// <summary>
/// A container for processes that no descendant can leave: everything a member forks is a member,
/// even after setsid and a double fork, and <see cref="KillAsync"/> kills them all. On Linux it is a
/// cgroup v2 directory of its own; on Windows, a job object.
/// </summary>
/// <remarks>
/// <para>Use it where a parent-link walk (<see cref="ProcessTree"/>) cannot reach: daemons that
/// detach, build tools that double-fork, anything whose descendants get reparented to init.</para>
/// <code>
/// using var container = new ProcessContainer();
/// using Process p = container.Start(new ProcessStartInfo("make") { ArgumentList = { "-j8" } });
/// ...
/// TreeKillResult r = await container.KillAsync();   // nothing it started is left
/// </code>
/// <para>Disposing the container kills every process still in it (as a Windows job object with
/// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE does) and removes the cgroup (on Windows, closes the job).
/// <see cref="Dispose"/> never throws; <see cref="DisposeAsync"/> waits without blocking a thread
/// and throws what went wrong.</para>
/// <para>The container is bound to the process that made it: when that process dies in any way,
/// kill -9 included, everything in the container dies too. On Windows the kernel does it (the job
/// handle closes with the process). On Linux a watchdog does it: a small /bin/sh in a session of its
/// own, outside the container and outside the owner's process tree, ignoring every signal it can,
/// which blocks on a pipe that only the owner can write; when the owner's end closes, it kills the
/// cgroup and removes it. Only a SIGKILL aimed at the watchdog itself unbinds the container. A
/// container that is never disposed is killed the same way when its finalizer closes that pipe, as a
/// Windows job handle would be.</para>
/// <para>Limits on Linux: a member running as root (or with write access to another cgroup's
/// cgroup.procs and their common ancestor) can move itself out of the container, as systemd's own
/// units can; containment holds for what the members cannot undo. Every kill raises the audit event
/// <c>os.kill</c> for each member first (see <see cref="Audit"/>). See docs/process-container.md.</para>
/// <para>Linux: the cgroup is created under the caller's own cgroup (the "0::" line of
/// /proc/self/cgroup), below the cgroup2 mount found in /proc/self/mountinfo; that needs root or a
/// delegated cgroup. The kill uses cgroup.kill (Linux 5.14) where it exists; on older kernels it
/// freezes the cgroup (cgroup.freeze, Linux 5.2) and sends SIGKILL to each member through a pidfd.</para>
/// <para>Windows: an unnamed job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so that the
/// processes in it die with the caller too, when Windows closes its handles. No privileges are
/// needed. See docs/windows.md.</para>
/// <para>macOS and FreeBSD have neither: there the constructor throws <see cref="PlatformNotSupportedException"/>.
/// Guard its use with <see cref="IsSupported"/>, which the platform analyzer (CA1416) takes as a
/// check for Linux or Windows.</para>
/// </remarks>
[UnsupportedOSPlatform("macos")]
[UnsupportedOSPlatform("freebsd")]
public sealed class ProcessContainer : IDisposable, IAsyncDisposable
{
    private readonly IContainerBackend _backend;
    private readonly object _mainGate = new();
    private ProcessHandle? _main;
    private int? _mainPid;

    /// <summary>Creates an empty container: on Linux a new cgroup, on Windows a new job object.</summary>
    /// <exception cref="UnauthorizedAccessException">The cgroup cannot be created here (not root and no delegated cgroup); the message names the path.</exception>
    /// <exception cref="PlatformNotSupportedException">No cgroup v2 hierarchy is mounted, or neither Linux nor Windows (macOS, FreeBSD).</exception>
    /// <exception cref="OsException">EMFILE or ENFILE when the process (or the system) is out of descriptors to read /proc/self/mountinfo or to start the watchdog (the message says which); any other error from mkdir, with the path (Windows: from CreateJobObject or SetInformationJobObject).</exception>
    public ProcessContainer()
    {
        _backend = PlatformServices.CreateContainer();
    }

    /// <summary>
    /// Whether containers can be made here: Windows, or Linux with a cgroup v2 hierarchy mounted.
    /// (Creating one on Linux may still need privileges.) Callable on every OS; where it is true the
    /// platform analyzer (CA1416) knows the code runs on Linux or Windows.
    /// </summary>
    [SupportedOSPlatformGuard("linux")]
    [SupportedOSPlatformGuard("windows")]
    public static bool IsSupported => PlatformServices.ContainersSupported;

    /// <summary>
    /// The cgroup directory on Linux, such as /sys/fs/cgroup/user.slice/.../oskill-1234-1-0a1b2c3d;
    /// null on Windows, where the container is a job object and has no cgroup. Still readable after
    /// the container is disposed.
    /// </summary>
    public string? CgroupPath => _backend.CgroupPath;

    /// <summary>
    /// Moves process <paramref name="pid"/> into the container. Every process it forks from now on
    /// is inside too; children it forked before stay where they are.
    /// </summary>
    /// <remarks>
    /// The kernel takes a pid here, not a handle: the process must not be reaped (and its pid
    /// reused) during the call. Prefer <see cref="Start"/>, which has no window at all on Linux.
    /// Windows: the pid is opened (PROCESS_SET_QUOTA | PROCESS_TERMINATE) and assigned to the job;
    /// a process already in another job needs Windows 8 or later (nested jobs).
    /// </remarks>
    /// <param name="pid">The process, greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pid"/> is 0 or negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="pid"/> is the calling process, or (Linux) one of its threads: the container would kill its own caller. Nothing is moved.</exception>
    /// <exception cref="ProcessLookupException">No such process (ESRCH).</exception>
    /// <exception cref="UnauthorizedAccessException">Not allowed to move it (EACCES, EPERM); the message names cgroup.procs.</exception>
    /// <exception cref="OsException">Any other error from the write, such as EMFILE or ENFILE when the process (or the system) is out of descriptors; the message names the pid.</exception>
    /// <exception cref="ObjectDisposedException">The container has been disposed.</exception>
    public void Add(int pid)
    {
        if (pid <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(pid),
                pid,
                string.Create(CultureInfo.InvariantCulture, $"A process id greater than 0 is needed; cgroup.procs reads 0 as \"the writing process\", which would put the caller itself in the container."));
        }

        _backend.Add(pid);
        RememberMain(pid, null);
    }

    /// <summary>Moves a started process into the container; see <see cref="Add(int)"/>. On Windows it goes through <see cref="Process.SafeHandle"/>, so no pid is involved.</summary>
    /// <param name="process">A started process.</param>
    /// <exception cref="ArgumentNullException"><paramref name="process"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The process was never started.</exception>
    /// <exception cref="ProcessLookupException">The process has been reaped.</exception>
    /// <exception cref="UnauthorizedAccessException">Not allowed to move it.</exception>
    /// <exception cref="OsException">Any other error, as for <see cref="Add(int)"/>, such as EMFILE or ENFILE when the process (or the system) is out of descriptors.</exception>
    /// <exception cref="ObjectDisposedException">The container has been disposed.</exception>
    public void Add(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        _backend.Add(process);
        RememberMain(process.Id, process);
    }

    /// <summary>
    /// Starts a process that is inside the container before it runs a single instruction of its
    /// program (Linux; on Windows, see the remarks), so that nothing it forks can be outside.
    /// </summary>
    /// <remarks>
    /// <para>Linux: the call returns only once the process is inside the cgroup. It starts as
    /// /bin/sh, which writes its own pid into cgroup.procs, tells this call so through a FIFO, and
    /// execs the program in the same process, so <see cref="Process.Id"/> is the program's pid and
    /// nothing the program forks can be outside. The shell ignores what the program's environment
    /// could do to it (bash functions such as BASH_FUNC_echo%%, SHELLOPTS: it runs with -p where
    /// /bin/sh takes it), and the program is found here as <see cref="Process.Start()"/> finds it
    /// (a rooted path; else next to this executable, in the current directory, then on PATH) and
    /// exec'd by absolute path, so a name that starts with '-' works. The program starts with every
    /// signal at its default action and none blocked, whatever this process inherited (a background
    /// job ignores SIGINT and SIGQUIT, nohup SIGHUP, and .NET passes SIGPIPE on ignored), through
    /// coreutils' <c>env --default-signal</c> where it exists (coreutils 8.31 and later; not for a
    /// path that holds '='), with exactly the environment <paramref name="startInfo"/> gives.</para>
    /// <para><paramref name="startInfo"/> is changed for the duration of the call and restored before
    /// it returns, so every other setting (environment, directory, redirection) applies as given;
    /// do not share it with another thread meanwhile.</para>
    /// <para>Windows: <see cref="Process.Start()"/> cannot create a process suspended, so the process
    /// is assigned to the job right after CreateProcess returns, and then every descendant it created
    /// in that moment (found by parent pid, while our handle keeps its pid) is assigned too. Only a
    /// process created and ended within those microseconds could leave children outside. If the
    /// assignment fails, the process (and what it started) is killed and the error thrown.
    /// <paramref name="startInfo"/> is used as it is.</para>
    /// </remarks>
    /// <param name="startInfo">What to start; <see cref="ProcessStartInfo.UseShellExecute"/> must be false.</param>
    /// <returns>The started process.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="startInfo"/> is null.</exception>
    /// <exception cref="ArgumentException">UseShellExecute is true, or FileName is empty.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">Linux: no such program (ENOENT), a rooted path to a file that is not executable (EACCES), or no descriptors for its pipes (EMFILE), as <see cref="Process.Start()"/> throws; nothing was started.</exception>
    /// <exception cref="OsException">Linux: EMFILE or ENFILE when the process (or the system) is out of descriptors for the FIFO that tells when the process is inside, or for the pidfd of the process just started (its message names the pid; the shell exits without running the program); or any other error from mkfifo.</exception>
    /// <exception cref="UnauthorizedAccessException">Linux: the process could not move itself into the cgroup (no write access to cgroup.procs, as for a process started as another user); it has exited.</exception>
    /// <exception cref="TimeoutException">Linux: the shell had not entered the cgroup after 30 s; it was killed before it could run the program.</exception>
    /// <exception cref="ObjectDisposedException">The container has been disposed.</exception>
    public Process Start(ProcessStartInfo startInfo)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        Process process = _backend.Start(startInfo);
        RememberMain(process.Id, process);
        return process;
    }

    /// <summary>The processes in the container now.</summary>
    /// <returns>Their pids (on Linux, cgroup.procs; on Windows, JobObjectBasicProcessIdList).</returns>
    /// <exception cref="OsException">cgroup.procs cannot be read, such as EMFILE or ENFILE when the process (or the system) is out of descriptors.</exception>
    /// <exception cref="ObjectDisposedException">The container has been disposed.</exception>
    public IReadOnlyList<int> GetProcessIds() => _backend.ProcessIds();

    /// <summary>
    /// Kills every process in the container, and waits until it is empty. The container stays
    /// usable afterwards.
    /// </summary>
    /// <remarks>
    /// Linux: writes cgroup.kill, and the kernel sends SIGKILL to every member and to any child
    /// forked meanwhile (before Linux 5.14: freezes the cgroup with cgroup.freeze and sends SIGKILL
    /// to each member through a pidfd). This part runs on the calling thread, at raised priority
    /// where that is allowed. Then the call waits, asynchronously, until cgroup.events says
    /// "populated 0", woken by poll(2) on that file. Cancellation stops the waiting; a kill that
    /// has been written is not undone.
    /// <para>Windows: TerminateJobObject ends every process in the job with exit code −1 (as
    /// <see cref="Process.Kill()"/> does); then the call waits until the job's active process count is
    /// 0, woken by JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO on a completion port that is associated with
    /// the job at the first kill.</para>
    /// </remarks>
    /// <param name="cancellationToken">Cancels the waits.</param>
    /// <returns>The processes killed and the time it took (<see cref="TreeKillResult.Rounds"/> is 0: nothing is walked).</returns>
    /// <exception cref="TimeoutException">A member had not exited after 10 s.</exception>
    /// <exception cref="UnauthorizedAccessException">The cgroup files cannot be written.</exception>
    /// <exception cref="Exception">Whatever an audit hook throws to veto the <c>os.kill</c> event of a member (raised for every member listed before any is killed): then nobody is killed.</exception>
    /// <exception cref="OsException">Any other system error, with the path, such as EMFILE or ENFILE when the process (or the system) is out of descriptors.</exception>
    /// <exception cref="ObjectDisposedException">The container has been disposed.</exception>
    public Task<TreeKillResult> KillAsync(CancellationToken cancellationToken = default) => _backend.KillAsync(cancellationToken);

    /// <summary>
    /// The container's main process: the first one <see cref="Start"/> started or <see cref="Add(int)"/>
    /// moved in; null before that. <see cref="StopAsync"/> in <see cref="ContainerKillMode.Mixed"/>
    /// sends its polite steps to it alone. It stays set after the process has exited.
    /// </summary>
    public int? MainProcessId
    {
        get
        {
            lock (_mainGate)
            {
                return _mainPid;
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to every process in the container now (a forwarded signal, a
    /// reload), and returns the pids it reached. Nothing outside the container is reached, even when
    /// a member's pid is reused meanwhile. It does not wait.
    /// </summary>
    /// <remarks>
    /// <para>Linux: the cgroup is frozen (cgroup.freeze), so that no member forks or exits meanwhile,
    /// every member is sent the signal through a pidfd, and the cgroup thaws; signal 0 sends nothing
    /// and lists the members that may be signalled. SIGKILL is the container's kill (cgroup.kill), as
    /// in <see cref="KillAsync"/>.</para>
    /// <para>Windows: <see cref="OsKill.Signal.CTRL_C_EVENT"/> is a polite close that suits each member:
    /// Ctrl+C to console members, WM_CLOSE to the top-level windows of GUI members (what taskkill
    /// without /F does); <see cref="OsKill.Signal.CTRL_BREAK_EVENT"/> is Ctrl+Break to console members;
    /// any other number ends every member with that exit code (TerminateJobObject).</para>
    /// <para>Every member is announced to the audit hooks (<c>os.kill</c>, pid and signal) before any
    /// is sent anything: a hook that vetoes one (by throwing) stops them all.</para>
    /// </remarks>
    /// <param name="signal">The signal (Windows: console event or exit code).</param>
    /// <returns>The pids the signal reached; empty when the container is empty.</returns>
    /// <exception cref="OsException">EINVAL for a number that is not a signal here; any system error, naming the pid and the signal (EMFILE when out of descriptors).</exception>
    /// <exception cref="UnauthorizedAccessException">Linux: cgroup.freeze or cgroup.kill cannot be written.</exception>
    /// <exception cref="Exception">Whatever an audit hook throws to veto the <c>os.kill</c> event of a member: then nobody was sent anything.</exception>
    /// <exception cref="ObjectDisposedException">The container has been disposed.</exception>
    public IReadOnlyList<int> Signal(int signal) => _backend.Signal(signal, CancellationToken.None);

    /// <summary>
    /// Stops every process in the container, politely and then for sure, in one of systemd's kill
    /// modes, and returns which step ended each member.
    /// </summary>
    /// <remarks>
    /// <para>The steps of <paramref name="options"/> (<see cref="StopOptions.Default"/>: SIGTERM, 5 s,
    /// SIGKILL, 5 s; on Windows Ctrl+C, then the job terminated) run as a chain with one budget: the
    /// sum of their timeouts, counted from the start, so that sending to many members, or a main
    /// process that exits early, never stretches the whole. The last step has its own timeout in full.</para>
    /// <para><see cref="ContainerKillMode.ControlGroup"/> (the default, as systemd's): each step goes
    /// to every member, as <see cref="Signal"/> sends it, and waits until the container is empty
    /// (Linux: cgroup.events "populated 0", woken by poll(2); Windows: the job's active process
    /// count, woken by its completion port). A last step of SIGKILL is cgroup.kill (on Windows, an
    /// exit code is TerminateJobObject). <see cref="ContainerKillMode.Mixed"/>: the steps before the
    /// last go to <see cref="MainProcessId"/> alone, which is left to stop its own children; once it
    /// has exited, the last step goes at once to every member still there.</para>
    /// <para>A daemon whose first process exits at once (nginx, which forks its master and exits) is
    /// stopped as a whole: the polite signal reaches the master and the workers, which shut down as
    /// they were written to, where <see cref="KillAsync"/> could only kill them.</para>
    /// <para>The result is <see cref="StopOutcome.StillRunning"/> when the steps ran out first (a
    /// chain that ends with a polite step): the members stay, and <see cref="KillAsync"/> or disposal
    /// ends them. Nothing is retried. Cancellation stops the chain; nothing more is sent.</para>
    /// </remarks>
    /// <param name="options">The steps; null for <see cref="StopOptions.Default"/>.</param>
    /// <param name="killMode">Which members the steps reach.</param>
    /// <param name="cancellationToken">Stops the chain.</param>
    /// <returns>How the stop ended, and the step that ended each member.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="killMode"/> is not a defined mode.</exception>
    /// <exception cref="OsException">A step could not be sent (see <see cref="Signal"/>), naming the pid and the signal.</exception>
    /// <exception cref="UnauthorizedAccessException">Linux: the cgroup files cannot be written.</exception>
    /// <exception cref="Exception">Whatever an audit hook throws to veto the <c>os.kill</c> event of a member: then that step sent nothing.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The container has been disposed.</exception>
    public Task<ContainerStopResult> StopAsync(StopOptions? options = null, ContainerKillMode killMode = ContainerKillMode.ControlGroup, CancellationToken cancellationToken = default)
    {
        if (killMode is not (ContainerKillMode.ControlGroup or ContainerKillMode.Mixed))
        {
            throw new ArgumentOutOfRangeException(nameof(killMode), killMode, "The kill mode is ControlGroup or Mixed.");
        }

        ProcessHandle? main;
        int? mainPid;
        lock (_mainGate)
        {
            main = _main;
            mainPid = _mainPid;
        }

        return ContainerStop.RunAsync(_backend, main, mainPid, options ?? StopOptions.Default, killMode, cancellationToken);
    }

    /// <summary>
    /// Kills every process still in the container, waits (up to 10 s) until it is empty, and removes
    /// it (on Linux, the cgroup directory; on Windows, it closes the job object). Never throws.
    /// </summary>
    /// <remarks>
    /// <para>The container is disposed whatever happens. When something goes wrong, nothing is
    /// thrown (a Dispose that throws would hide the exception that a <c>using</c> block is leaving
    /// with); the failure is written to the <c>OsKill</c> event source (event
    /// <c>ContainerDisposeFailed</c>, level Warning), and what is left is handed over:</para>
    /// <list type="bullet">
    /// <item><description>The kill failed, or a member had not exited after 10 s, or the cgroup could
    /// not be removed: on Linux the owner watchdog is told nothing and its pipe closed, so it kills
    /// what is left and removes the cgroup once it is empty, as if the owner had died; on Windows the
    /// job is closed, and JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE ends what is left.</description></item>
    /// <item><description>An audit hook vetoed the kill of a member (by throwing from
    /// <c>os.kill</c>): nobody is killed, then or later. On Linux the watchdog is released and the
    /// cgroup stays, with the members the hook spared, bound to nothing (rmdir it once they have
    /// gone); on Windows the job loses its kill-on-close limit before it is closed.</description></item>
    /// </list>
    /// <para>Use <see cref="DisposeAsync"/> to be told: it does the same, and then throws.</para>
    /// </remarks>
    public void Dispose()
    {
        _backend.Dispose();
        ForgetMain();
    }

    /// <summary>
    /// As <see cref="Dispose"/>, but waits for the members to exit without blocking a thread, and
    /// throws what went wrong, once the container is disposed and what is left has been handed over
    /// as <see cref="Dispose"/> describes.
    /// </summary>
    /// <returns>A task that completes when the container is gone.</returns>
    /// <exception cref="TimeoutException">A member had not exited 10 s after the kill (the owner watchdog, on Windows the closed job, ends it).</exception>
    /// <exception cref="UnauthorizedAccessException">Linux: the cgroup files cannot be written.</exception>
    /// <exception cref="OsException">The cgroup could not be removed, or another system error, with the path.</exception>
    /// <exception cref="Exception">Whatever an audit hook throws to veto the <c>os.kill</c> event of a member, unchanged: then nobody is killed.</exception>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _backend.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            ForgetMain();
        }
    }

    /// <summary>
    /// The first process put in the container is its main one: a handle is opened for it (by its
    /// <see cref="Process"/> where there is one, so that no pid is involved), or none when it has
    /// already exited.
    /// </summary>
    private void RememberMain(int pid, Process? process)
    {
        lock (_mainGate)
        {
            if (_mainPid is not null)
            {
                return;
            }

            _mainPid = pid;
            try
            {
                _main = process is null ? ProcessHandle.Open(pid) : ProcessHandle.FromProcess(process);
            }
            catch (ProcessLookupException)
            {
                // It has exited already: a mixed-mode stop goes straight to its last step.
            }
        }
    }

    private void ForgetMain()
    {
        lock (_mainGate)
        {
            _main?.Dispose();
            _main = null;
        }
    }
}
