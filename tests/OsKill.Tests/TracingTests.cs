using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Text.RegularExpressions;

namespace OsKill.Tests;

/// <summary>
/// The "OsKill" EventSource: one event per signal sent, with the target, the signal and the errno.
/// Other tests send signals at the same time, so each test picks out its events by its own pids.
/// </summary>
public class TracingTests
{
    // No Linux pid or process group can exceed PID_MAX_LIMIT (4194304), so these never exist.
    private const int NoSuchPid = 0x7AE0_0001;
    private const int NoSuchGroup = 0x7AE0_0002;

    [Fact]
    public async Task Kill_traces_the_pid_the_signal_and_errno_zero_on_success()
    {
        using var listener = new OsKillListener();
        using Child child = await Child.StartAsync("catch", "USR1");

        Os.Kill(child.Pid, Signal.SIGUSR1);

        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        IReadOnlyDictionary<string, object?> e = Assert.Single(listener.Expect("Kill", p => (int)p["pid"]! == child.Pid, 1));
        Assert.Equal(new[] { "pid", "sig", "errno" }, e.Keys);
        Assert.Equal(Signal.SIGUSR1, e["sig"]);
        Assert.Equal(0, e["errno"]);
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
    }

    [Fact]
    public void Kill_traces_errno_3_for_a_pid_that_does_not_exist()
    {
        using var listener = new OsKillListener();

        Assert.Throws<ProcessLookupException>(() => Os.Kill(NoSuchPid, Signal.SIGUSR2));

        IReadOnlyDictionary<string, object?> e = Assert.Single(listener.Expect("Kill", p => (int)p["pid"]! == NoSuchPid, 1));
        Assert.Equal(Signal.SIGUSR2, e["sig"]);
        Assert.Equal(3, e["errno"]);
    }

    [Fact]
    public async Task KillPg_traces_the_group_the_signal_and_the_errno()
    {
        using var listener = new OsKillListener();

        // setsid makes the child the leader of a new group whose id is its pid.
        using Child child = await Child.StartWrappedAsync(["setsid"], ["catch", "USR1"]);
        Assert.Equal(child.Pid, ProcState.ProcessGroup(child.Pid));

        Os.KillPg(child.Pid, Signal.SIGUSR1);
        Assert.Throws<ProcessLookupException>(() => Os.KillPg(NoSuchGroup, 0));

        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        IReadOnlyDictionary<string, object?> sent = Assert.Single(listener.Expect("KillPg", p => (int)p["pgid"]! == child.Pid, 1));
        Assert.Equal(new[] { "pgid", "sig", "errno" }, sent.Keys);
        Assert.Equal(Signal.SIGUSR1, sent["sig"]);
        Assert.Equal(0, sent["errno"]);
        IReadOnlyDictionary<string, object?> failed = Assert.Single(listener.Expect("KillPg", p => (int)p["pgid"]! == NoSuchGroup, 1));
        Assert.Equal(0, failed["sig"]);
        Assert.Equal(3, failed["errno"]);

        // killpg is not traced as a kill as well.
        Assert.Empty(listener.Events("Kill", p => (int)p["pid"]! == -child.Pid || (int)p["pid"]! == child.Pid));
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
    }

    [Fact]
    public async Task PidfdSendSignal_traces_the_descriptor_the_pid_the_signal_and_the_errno()
    {
        using var listener = new OsKillListener();
        using Child child = await Child.StartAsync("catch", "USR1", "USR2");
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Pid);

        Signal.PidfdSendSignal(pidfd, Signal.SIGUSR1);
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Os.Kill(pidfd, Signal.SIGUSR2);
        await child.WaitForLineAsync($"got {Signal.SIGUSR2}");
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
        Assert.Throws<ProcessLookupException>(() => Os.Kill(pidfd, 0));

        List<IReadOnlyDictionary<string, object?>> events = listener.Expect("PidfdSendSignal", p => (int)p["pid"]! == child.Pid, 3);
        Assert.All(events, e => Assert.Equal(new[] { "pidfd", "pid", "sig", "errno" }, e.Keys));
        Assert.All(events, e => Assert.Equal(pidfd.FileDescriptor, e["pidfd"]));
        Assert.Equal(new[] { Signal.SIGUSR1, Signal.SIGUSR2, 0 }, events.Select(e => (int)e["sig"]!));
        Assert.Equal(new[] { 0, 0, 3 }, events.Select(e => (int)e["errno"]!));

        // A signal through a handle is traced as pidfd_send_signal only, not as kill.
        Assert.Empty(listener.Events("Kill", p => (int)p["pid"]! == child.Pid));
    }

    [Fact]
    public void A_container_start_that_gives_up_traces_the_SIGKILL_it_sends_to_the_shell()
    {
        // cgroup.procs is a FIFO with no reader here: the shell blocks opening it and never enters,
        // so the start gives up after its (shortened) limit and kills the shell through its pidfd.
        string directory = Directory.CreateTempSubdirectory("oskill-giveup-").FullName;
        string procs = Path.Combine(directory, "cgroup.procs");
        try
        {
            using (var mkfifo = Process.Start("mkfifo", [procs]))
            {
                mkfifo.WaitForExit();
                Assert.Equal(0, mkfifo.ExitCode);
            }

            using var listener = new OsKillListener();
            var psi = new ProcessStartInfo("sleep", "60") { UseShellExecute = false };
            TimeoutException e = Assert.Throws<TimeoutException>(() => Linux.Cgroups.ContainerLaunch.Start(psi, procs, directory, TimeSpan.FromMilliseconds(300)));

            Match shell = Regex.Match(e.Message, @"\(pid (\d+)\)");
            Assert.True(shell.Success, e.Message);
            int pid = int.Parse(shell.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            IReadOnlyDictionary<string, object?> sent = Assert.Single(listener.Expect("PidfdSendSignal", p => (int)p["pid"]! == pid, 1));
            Assert.Equal(Signal.SIGKILL, sent["sig"]);
            Assert.Equal(0, sent["errno"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void PthreadKill_traces_the_thread_the_signal_and_the_errno()
    {
        // No await in this test: the thread, and so its pthread_t, runs nothing but this test
        // while the listener listens, so the thread id picks out this test's events.
        using var listener = new OsKillListener();
        nuint self = Signal.CurrentThreadId;

        Signal.PthreadKill(self, 0);
        Assert.Throws<OsException>(() => Signal.PthreadKill(self, 1000));

        List<IReadOnlyDictionary<string, object?>> events = listener.Expect("PthreadKill", p => (long)p["threadId"]! == (long)self, 2);
        Assert.All(events, e => Assert.Equal(new[] { "threadId", "sig", "errno" }, e.Keys));
        Assert.Equal(new[] { 0, 1000 }, events.Select(e => (int)e["sig"]!));
        Assert.Equal(new[] { 0, 22 }, events.Select(e => (int)e["errno"]!));
    }

    /// <summary>Listens to the "OsKill" EventSource and keeps every event's name and payload.</summary>
    internal sealed class OsKillListener : EventListener
    {
        // Initialised before the base constructor, which may already call OnEventSourceCreated.
        private readonly ConcurrentQueue<(string Name, IReadOnlyDictionary<string, object?> Payload)> _events = new();

        /// <summary>
        /// Waits until <paramref name="count"/> events match, then returns the matches in order and
        /// checks there are exactly that many. EventListener callbacks for an in-process
        /// EventSource run synchronously in the sending thread, but the wait costs nothing then.
        /// </summary>
        public List<IReadOnlyDictionary<string, object?>> Expect(string name, Func<IReadOnlyDictionary<string, object?>, bool> match, int count)
        {
            var deadline = Stopwatch.StartNew();
            List<IReadOnlyDictionary<string, object?>> found = Events(name, match);
            while (found.Count < count && deadline.Elapsed < TimeSpan.FromSeconds(5))
            {
                Thread.Sleep(10);
                found = Events(name, match);
            }

            Assert.True(
                found.Count == count,
                $"expected {count} {name} event(s), saw {found.Count}: [{string.Join("; ", found.Select(Describe))}]");
            return found;
        }

        /// <summary>The events so far with this name whose payload matches.</summary>
        public List<IReadOnlyDictionary<string, object?>> Events(string name, Func<IReadOnlyDictionary<string, object?>, bool> match) =>
            _events.Where(e => e.Name == name && match(e.Payload)).Select(e => e.Payload).ToList();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "OsKill")
            {
                EnableEvents(eventSource, EventLevel.Informational);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventSource.Name != "OsKill" || eventData.EventName is null)
            {
                return;
            }

            var payload = new Dictionary<string, object?>();
            for (int i = 0; i < (eventData.PayloadNames?.Count ?? 0); i++)
            {
                payload[eventData.PayloadNames![i]] = eventData.Payload![i];
            }

            _events.Enqueue((eventData.EventName, payload));
        }

        private static string Describe(IReadOnlyDictionary<string, object?> payload) =>
            string.Join(", ", payload.Select(kv => $"{kv.Key}={kv.Value}"));
    }
}
