using System.Diagnostics;

namespace OsKill.Tests;

/// <summary>
/// Issue 10 on the Linux tree kill and stop: every signal they send raises an audit event that a
/// hook can veto. Real bash trees, real hooks. Hooks are process-wide and permanent, so each acts
/// only while <see cref="s_scope"/> holds the scope object of the test that added it.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class TreeHardeningTests
{
    /// <summary>bash, a subshell with a background sleep (the grandchild), and a second sleep: 4 processes.</summary>
    private const string SmallTree = "( sleep 1000 & wait ) & sleep 1000 & echo ready; wait";

    /// <summary>pidfd_open's PIDFD_THREAD (O_EXCL, Linux 6.9+): a pidfd for one thread.</summary>
    private const uint PidfdThread = 0x80;

    private static readonly AsyncLocal<object?> s_scope = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task A_tree_kill_raises_os_kill_for_the_SIGSTOP_and_the_SIGKILL_of_every_member() =>
        TreeStopTests.WithBashTreeAsync(SmallTree, 4, async (bash, before, marker) =>
        {
            (TreeKillResult? result, List<(int Pid, int Sig)>? log) = await RecordedAsync(() => ProcessTree.KillAsync(bash.Id, Ct));

            Assert.Equal(before.Select(s => s.Pid).Order(), result.KilledPids.Order());
            Assert.DoesNotContain(before, Trees.StillAlive);

            // Each member: its SIGSTOP, then its SIGKILL; nothing else (a probe with signal 0 is not a signal sent).
            Assert.All(before, s => Assert.Equal([(s.Pid, Signal.SIGSTOP), (s.Pid, Signal.SIGKILL)], log.Where(e => e.Pid == s.Pid)));
            Assert.Equal(2 * before.Count, log.Count);

            // All or nothing: every SIGKILL event came before any SIGKILL was sent, so after the whole freeze.
            Assert.True(log.FindLastIndex(e => e.Sig == Signal.SIGSTOP) < log.FindIndex(e => e.Sig == Signal.SIGKILL), string.Join(", ", log));
        });

    [Fact]
    public Task A_veto_of_one_members_SIGKILL_kills_nobody_and_leaves_the_tree_running() =>
        TreeStopTests.WithBashTreeAsync(SmallTree, 4, async (bash, before, marker) =>
        {
            List<(int Pid, int Sig)> log = await VetoForTheGrandchildAsync(bash, before, Signal.SIGKILL, () => ProcessTree.KillAsync(bash.Id, Ct));

            // The frozen tree was continued, and each SIGCONT raised its event too.
            Assert.All(before, s => Assert.Contains((s.Pid, Signal.SIGCONT), log));
        });

    [Fact]
    public Task A_veto_of_a_grandchilds_SIGSTOP_leaves_nothing_stopped() =>
        TreeStopTests.WithBashTreeAsync(SmallTree, 4, async (bash, before, marker) =>
        {
            List<(int Pid, int Sig)> log = await VetoForTheGrandchildAsync(bash, before, Signal.SIGSTOP, () => ProcessTree.KillAsync(bash.Id, Ct));

            Assert.DoesNotContain(log, e => e.Sig == Signal.SIGKILL);

            // Every member stopped before the veto (bash at least) was continued.
            var stopped = log.Where(e => e.Sig == Signal.SIGSTOP && e.Pid != Grandchild(bash, before)).Select(e => e.Pid).ToList();
            Assert.Contains(bash.Id, stopped);
            Assert.All(stopped, pid => Assert.Contains((pid, Signal.SIGCONT), log));
        });

    [Fact]
    public Task A_tree_stop_raises_the_step_signal_and_SIGCONT_for_every_member() =>
        TreeStopTests.WithBashTreeAsync(SmallTree, 4, async (bash, before, marker) =>
        {
            (TreeStopResult? result, List<(int Pid, int Sig)>? log) = await RecordedAsync(() => bash.StopTreeAsync(StopOptions.Graceful(TimeSpan.FromSeconds(10)), Ct));

            Assert.Equal(0, result.StepIndex);
            Assert.DoesNotContain(before, Trees.StillAlive);
            Assert.All(before, s => Assert.Equal(
                [(s.Pid, Signal.SIGSTOP), (s.Pid, Signal.SIGTERM), (s.Pid, Signal.SIGCONT)],
                log.Where(e => e.Pid == s.Pid)));
        });

    [Fact]
    public Task A_veto_of_one_members_step_signal_sends_it_to_nobody_and_leaves_the_tree_running() =>
        TreeStopTests.WithBashTreeAsync(SmallTree, 4, async (bash, before, marker) =>
        {
            // A SIGTERM would have ended bash and the sleeps: none was sent.
            List<(int Pid, int Sig)> log = await VetoForTheGrandchildAsync(bash, before, Signal.SIGTERM, () => bash.StopTreeAsync(null, Ct));

            Assert.DoesNotContain(log, e => e.Sig == Signal.SIGKILL);
        });

    /// <summary>
    /// Runs <paramref name="call"/> with a hook that vetoes <paramref name="sig"/> for the grandchild;
    /// checks that the hook's exception reached the caller and that every member is alive and
    /// running (not stopped). Returns the events raised.
    /// </summary>
    private static async Task<List<(int Pid, int Sig)>> VetoForTheGrandchildAsync(Process bash, List<Trees.Seen> before, int sig, Func<Task> call)
    {
        int grandchild = Grandchild(bash, before);
        object scope = new object();
        var veto = new TreeVetoException($"no {Signal.Name(sig)} for pid {grandchild}");
        List<(int Pid, int Sig)> log = [];
        AddKillHook(scope, log, (pid, s) => pid == grandchild && s == sig ? veto : null);

        TreeVetoException thrown = await Assert.ThrowsAsync<TreeVetoException>(() => InScopeAsync(scope, async () =>
        {
            await call();
            return 0;
        }));

        Assert.Same(veto, thrown);
        await AssertAllRunningAsync(before);
        return log;
    }

    [Fact]
    public async Task A_thread_pidfd_of_one_of_our_own_threads_is_refused_before_anything_is_sent()
    {
        // Its fdinfo says "Pid: TID", which is not among the caller and its ancestors; a SIGSTOP
        // through it would stop this whole process. The safety net: a hook that vetoes every signal
        // of the call, so that a missing refusal fails the test instead of freezing the test host.
        using var thread = OwnThread.Start();
        using SafePidfdHandle pidfd = Os.PidfdOpen(thread.Tid, PidfdThread);
        object scope = new object();
        List<(int Pid, int Sig)> log = [];
        AddKillHook(scope, log, (pid, sig) => new InvalidOperationException($"the test host's thread {thread.Tid} was about to be sent signal {sig} (pid {pid})"));

        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => InScopeAsync(scope, () => PidfdTree.KillAsync(pidfd, Ct)));

        Assert.Contains($"thread {thread.Tid}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"calling process (pid {Environment.ProcessId})", e.Message, StringComparison.Ordinal);
        Assert.Empty(log);
        Assert.False(pidfd.IsClosed);
    }

    [Fact]
    public async Task A_thread_id_of_ours_is_refused_by_pid_with_an_error_that_names_it()
    {
        // pidfd_open refuses a thread that is not its process's leader (ENOENT since Linux 6.9,
        // EINVAL before): the error says that the pid is one of our threads, not a bare errno.
        using var thread = OwnThread.Start();

        ArgumentException kill = await Assert.ThrowsAsync<ArgumentException>(() => ProcessTree.KillAsync(thread.Tid, Ct));
        ArgumentException stop = await Assert.ThrowsAsync<ArgumentException>(() => ProcessTree.StopAsync(thread.Tid, null, Ct));

        foreach (ArgumentException e in new[] { kill, stop })
        {
            Assert.Equal("rootPid", e.ParamName);
            Assert.Contains($"pid {thread.Tid} is a thread of the calling process (pid {Environment.ProcessId})", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_thread_pidfd_of_another_process_is_refused_and_the_process_is_untouched()
    {
        using var sleep = Process.Start("sleep", "1000");
        try
        {
            using SafePidfdHandle pidfd = Os.PidfdOpen(sleep.Id, PidfdThread);

            ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => PidfdTree.KillAsync(pidfd, Ct));

            Assert.Contains("PIDFD_THREAD", e.Message, StringComparison.Ordinal);
            Assert.Contains($"Os.PidfdOpen({sleep.Id})", e.Message, StringComparison.Ordinal);
            Assert.False(sleep.HasExited);
            Assert.NotEqual('T', ProcState.State(sleep.Id));
        }
        finally
        {
            sleep.Kill();
            await sleep.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task A_grandchild_in_a_frozen_cgroup_is_killed_with_its_tree_at_once_and_no_TimeoutException()
    {
        // A task in a frozen cgroup v2 cannot run, so it never reaches its SIGSTOP, but neither can
        // it fork: the freeze counts it as quiet. SIGKILL kills it frozen. Before, the freeze
        // spun 5 s at nice -20 and then blamed uninterruptible sleep.
        if (!ProcessContainer.IsSupported)
        {
            Assert.Skip("no cgroup v2 hierarchy is mounted here (/proc/self/mountinfo has no cgroup2): there is no cgroup freezer to put the grandchild in");
        }

        await TreeStopTests.WithBashTreeAsync(SmallTree, 4, async (bash, before, marker) =>
        {
            using ProcessContainer box = NewContainer();
            string freeze = box.CgroupPath + "/cgroup.freeze";
            box.Add(Grandchild(bash, before));
            File.WriteAllText(freeze, "1");
            try
            {
                await WaitUntilAsync(() => File.ReadAllText(box.CgroupPath + "/cgroup.events").Contains("frozen 1", StringComparison.Ordinal));

                var clock = Stopwatch.StartNew();
                (Task<TreeKillResult> kill, TimeSpan cpu) = FreezeOnThisThread(() => ProcessTree.KillAsync(bash.Id, Ct));
                TreeKillResult result = await kill;
                clock.Stop();

                Assert.Equal(before.Select(s => s.Pid).Order(), result.KilledPids.Order());
                Assert.DoesNotContain(before, Trees.StillAlive);
                // Not held up by the frozen member: a freeze that waited for it would take StopLimit (5 s).
                Assert.True(clock.Elapsed < Linux.Tree.LinuxProcessTree.StopLimit, $"the kill took {clock.Elapsed}");
                Assert.True(cpu < TimeSpan.FromSeconds(0.5), $"the freeze used {cpu} of CPU");
            }
            finally
            {
                File.WriteAllText(freeze, "0");
            }
        });
    }

    [Fact]
    public async Task A_member_that_never_stops_is_waited_for_with_sleeps_and_the_error_says_what_happened()
    {
        // The cgroup v1 freezer freezes a task where it sleeps, in uninterruptible sleep (D), and
        // keeps it from dying of SIGKILL until thawed: a member that really never stops (the
        // freeze does not count v1 as quiet). The wait for it must sleep, not spin at nice -20, and
        // once the member has been killed and has exited, the error must say exactly that.
        await TreeStopTests.WithBashTreeAsync(SmallTree, 4, async (bash, before, marker) =>
        {
            int grandchild = Grandchild(bash, before);
            await V1Freezer.WithFrozenAsync(grandchild, async cgroup =>
            {
                // Thawed once the freeze has given up on it and killed it, so that it can die.
                Task thaw = Task.Delay(Linux.Tree.LinuxProcessTree.StopLimit + TimeSpan.FromSeconds(2), Ct)
                    .ContinueWith(_ => V1Freezer.Thaw(cgroup), Ct, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                var clock = Stopwatch.StartNew();
                (Task<TreeKillResult> kill, TimeSpan cpu) = FreezeOnThisThread(() => ProcessTree.KillAsync(bash.Id, Ct));
                TimeoutException e = await Assert.ThrowsAsync<TimeoutException>(() => kill);
                clock.Stop();
                await thaw;
                TestContext.Current.TestOutputHelper?.WriteLine($"{clock.Elapsed}, the freeze used {cpu} of CPU: {e.Message}");

                Assert.True(clock.Elapsed >= Linux.Tree.LinuxProcessTree.StopLimit, $"the kill took {clock.Elapsed}");
                Assert.True(cpu < TimeSpan.FromSeconds(0.5), $"the freeze used {cpu} of CPU in {clock.Elapsed}");
                Assert.Contains($"pid {grandchild} (state D, uninterruptible sleep", e.Message, StringComparison.Ordinal);
                Assert.Contains($"did not stop within {Linux.Tree.LinuxProcessTree.StopLimit.TotalSeconds:0} s", e.Message, StringComparison.Ordinal);
                Assert.Contains($"All {before.Count} members found were sent SIGKILL and have exited", e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(before, Trees.StillAlive);
            });
        });
    }

    /// <summary>The sleep whose parent is the subshell.</summary>
    private static int Grandchild(Process bash, List<Trees.Seen> members) =>
        members.Single(s => s.Pid != bash.Id && s.ParentPid != bash.Id).Pid;

    /// <summary>
    /// Adds a hook that logs the (pid, sig) of every os.kill event raised while <paramref name="scope"/>
    /// is current (the cast fails, and so vetoes, if they are not boxed ints), and throws what
    /// <paramref name="veto"/> returns for it.
    /// </summary>
    private static void AddKillHook(object scope, List<(int Pid, int Sig)> log, Func<int, int, Exception?>? veto) =>
        Assert.True(Audit.AddHook((name, args) =>
        {
            if (!ReferenceEquals(s_scope.Value, scope) || name != "os.kill")
            {
                return;
            }

            int pid = (int)args[0]!;
            int sig = (int)args[1]!;
            lock (log)
            {
                log.Add((pid, sig));
            }

            if (veto?.Invoke(pid, sig) is Exception e)
            {
                throw e;
            }
        }));

    /// <summary>Runs <paramref name="call"/> with a hook that logs its os.kill events; returns its result and the log.</summary>
    private static async Task<(T Result, List<(int Pid, int Sig)> Log)> RecordedAsync<T>(Func<Task<T>> call)
    {
        object scope = new object();
        List<(int Pid, int Sig)> log = [];
        AddKillHook(scope, log, veto: null);
        return (await InScopeAsync(scope, call), log);
    }

    /// <summary>Runs <paramref name="call"/> with <paramref name="scope"/> current, so that this test's hooks act.</summary>
    private static async Task<T> InScopeAsync<T>(object scope, Func<Task<T>> call)
    {
        s_scope.Value = scope;
        try
        {
            return await call();
        }
        finally
        {
            s_scope.Value = null;
        }
    }

    /// <summary>A cgroup v2 container, or a skip (with the reason) where this process may not create one.</summary>
    private static ProcessContainer NewContainer()
    {
        try
        {
            return new ProcessContainer();
        }
        catch (UnauthorizedAccessException e)
        {
            Assert.Skip($"cannot create a cgroup to freeze the grandchild in: {e.Message}");
            throw;
        }
    }

    /// <summary>
    /// Starts <paramref name="call"/>, whose freeze and kill run synchronously on the calling thread
    /// before it first yields; returns its task and the CPU time that this thread spent in it (the
    /// freeze, and any spin while it waits for members to stop), from /proc/thread-self/stat.
    /// </summary>
    private static (Task<T> Task, TimeSpan Cpu) FreezeOnThisThread<T>(Func<Task<T>> call)
    {
        TimeSpan before = ThreadCpuTime();
        Task<T> task = call();
        return (task, ThreadCpuTime() - before);
    }

    /// <summary>utime + stime of the calling thread (fields 14 and 15 of its stat, in clock ticks of 1/100 s).</summary>
    private static TimeSpan ThreadCpuTime()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[14 - 3], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 20 s");
            await Task.Delay(10, Ct);
        }
    }

    /// <summary>Every member is alive (same pid and start time) and, once SIGCONT has taken effect, not stopped.</summary>
    private static async Task AssertAllRunningAsync(List<Trees.Seen> members)
    {
        foreach (Trees.Seen s in members)
        {
            Assert.True(Trees.StillAlive(s), $"pid {s.Pid} died");
            char? state = await ProcState.WaitForStateAsync(s.Pid, c => c is not ('T' or 't'), TimeSpan.FromSeconds(5));
            Assert.True(state is not ('T' or 't' or null), $"pid {s.Pid} is in state {state}");
        }
    }

    /// <summary>A thread of the test process that reports its kernel thread id (gettid) and waits until disposed.</summary>
    private sealed class OwnThread : IDisposable
    {
        private readonly ManualResetEventSlim _done = new();
        private readonly Thread _thread;

        private OwnThread(TaskCompletionSource<int> tid)
        {
            _thread = new Thread(() =>
            {
                tid.SetResult(OsKill.Interop.Libc.GetTid());
                _done.Wait();
            })
            {
                IsBackground = true,
                Name = "tree-test thread",
            };
            _thread.Start();
            Tid = tid.Task.GetAwaiter().GetResult();
        }

        public int Tid { get; }

        public static OwnThread Start()
        {
            var thread = new OwnThread(new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
            Assert.NotEqual(Environment.ProcessId, thread.Tid);
            Assert.Equal($"{Environment.ProcessId}", File.ReadAllText($"/proc/{thread.Tid}/status").Split('\n').Single(l => l.StartsWith("Tgid:", StringComparison.Ordinal))[5..].Trim());
            return thread;
        }

        public void Dispose()
        {
            _done.Set();
            _thread.Join();
            _done.Dispose();
        }
    }

    private sealed class TreeVetoException : Exception
    {
        public TreeVetoException()
        {
        }

        public TreeVetoException(string message)
            : base(message)
        {
        }

        public TreeVetoException(string message, Exception innerException)
            : base(message, innerException)
        {
        }
    }
}
