using System.Globalization;
using System.Text.Json;

namespace OsKill.Tests;

/// <summary>
/// The same (pid, sig) cases through python3's os.kill and through Os.Kill: the outcome class
/// (ok, ESRCH, EPERM, EINVAL or another errno) must be the same for each.
/// </summary>
/// <remarks>
/// Safety: every target is a process this test started, a pid that is not in use, pid 1 with
/// signal 0, or a pid the kernel rejects before looking for a process (int.MaxValue, int.MinValue)
/// with signal 0. No case addresses pid 0, pid -1 or a process group; <see cref="AssertSafe"/>
/// checks that before anything is sent.
/// </remarks>
public sealed class DifferentialTests(ITestOutputHelper output)
{
    private const string KillScript = """
        import errno, json, os, sys
        classes = {errno.ESRCH: 'ESRCH', errno.EPERM: 'EPERM', errno.EINVAL: 'EINVAL'}
        out = []
        for pid, sig in json.loads(sys.argv[1]):
            try:
                os.kill(pid, sig)
                out.append('ok')
            except OSError as e:
                out.append(classes.get(e.errno, 'errno %d' % e.errno))
            except Exception as e:
                out.append('python ' + type(e).__name__)
        print(json.dumps(out))
        """;

    // A live target for signal 32, which glibc keeps for thread cancellation: its sigaction
    // refuses to install a handler for it, so a .NET child cannot catch it and dies of it (the
    // default action). This python blocks it with the raw rt_sigprocmask system call instead, so
    // a 32 that arrives stays pending, where /proc shows it.
    private const string BlockerScript = """
        import ctypes, os, platform, sys
        nr = {'x86_64': 14, 'aarch64': 135}[platform.machine()]
        libc = ctypes.CDLL(None, use_errno=True)
        mask = ctypes.c_uint64(1 << 31)
        if libc.syscall(ctypes.c_long(nr), 0, ctypes.byref(mask), None, ctypes.c_size_t(8)) != 0:
            raise OSError(ctypes.get_errno(), 'rt_sigprocmask')
        print('ready', os.getpid(), flush=True)
        sys.stdin.read()
        """;

    [Fact]
    public async Task Os_Kill_gives_the_same_outcome_class_as_python_os_kill()
    {
        int usr1 = Signal.SIGUSR1;
        int usr2 = Signal.SIGUSR2;
        using Child child = await Child.StartAsync("catch", "USR1", "USR2");
        using Child blocker = await Child.StartCommandAsync([Python.Executable, "-I", "-c", BlockerScript]);
        int free = FindFreePid();
        string init = Unprivileged.EffectiveUid() == 0 ? "ok" : "EPERM";

        Case[] cases =
        [
            new("live child", child.Pid, 0, "ok"),
            new("live child", child.Pid, usr1, "ok"),
            new("live child", child.Pid, usr2, "ok"),
            new("live child", child.Pid, Signal.NSIG, "EINVAL"),
            new("live child", child.Pid, 1000, "EINVAL"),
            new("live child", child.Pid, -1, "EINVAL"),
            new("live child", child.Pid, int.MaxValue, "EINVAL"),
            new("live child", child.Pid, int.MinValue, "EINVAL"),
            new("child blocking 32", blocker.Pid, 32, "ok"),
            new("free pid", free, 0, "ESRCH"),
            new("free pid", free, usr1, "ESRCH"),
            new("free pid", free, Signal.NSIG, "ESRCH"), // the kernel looks for the process first
            new("free pid", free, -1, "ESRCH"),
            new("init", 1, 0, init),
            new("test host", Environment.ProcessId, 0, "ok"),
            new("int.MaxValue", int.MaxValue, 0, "ESRCH"),
            new("int.MinValue", int.MinValue, 0, "ESRCH"),
        ];
        AssertSafe(cases);

        // Python first: wait until the child has handled its two signals, so that ours cannot
        // merge with them and must be handled a second time.
        string[] python = await RunPythonAsync(cases);
        await WaitForCountAsync(child, 1, usr1, usr2);
        string[] ours = cases.Select(c => OsKillOutcome(c.Pid, c.Sig)).ToArray();
        await WaitForCountAsync(child, 2, usr1, usr2);
        Assert.False(Directory.Exists($"/proc/{free}"), $"pid {free} came into use during the test");

        Report(cases, python, ours);
        AssertOutcomes(cases, python, ours);

        // Both sends of 32 were accepted, and the signal really is pending at the blocker.
        Assert.True(PendingForProcess(blocker.Pid, 32), $"signal 32 is not pending at pid {blocker.Pid}");
        Assert.Equal(0, await blocker.FinishAsync());
        int first = await child.FinishAsync();
        Assert.True(first == usr1 || first == usr2, $"child exit code {first}; it printed [{string.Join(" | ", child.Seen)}]");
    }

    [Fact]
    public async Task As_uid_65534_Os_Kill_gives_the_same_outcome_class_as_python_os_kill()
    {
        Unprivileged.SkipUnlessRoot();

        int usr1 = Signal.SIGUSR1;
        using Child target = await Child.StartAsync("catch", "USR1");
        int free = FindFreePid();
        Case[] cases =
        [
            new("root's child", target.Pid, 0, "EPERM"),
            new("root's child", target.Pid, usr1, "EPERM"),
            new("root's child", target.Pid, Signal.NSIG, "EINVAL"), // the signal is checked before permission
            new("init", 1, 0, "EPERM"),
            new("free pid", free, 0, "ESRCH"),
            new("int.MaxValue", int.MaxValue, 0, "ESRCH"),
        ];
        AssertSafe(cases);

        string[] python = await RunPythonAsync(cases, Unprivileged.Wrapper);

        // One unprivileged test child per case: `kill PID SIG` prints "result <class>".
        string[] ours = await Task.WhenAll(cases.Select(async c =>
        {
            using Child killer = await Unprivileged.StartChildAsync(
                "kill", c.Pid.ToString(CultureInfo.InvariantCulture), c.Sig.ToString(CultureInfo.InvariantCulture));
            string line = await killer.WaitForLineAsync(l => l.StartsWith("result ", StringComparison.Ordinal));
            Assert.Equal(0, await killer.FinishAsync());
            return line["result ".Length..];
        }));
        Assert.False(Directory.Exists($"/proc/{free}"), $"pid {free} came into use during the test");

        Report(cases, python, ours);
        AssertOutcomes(cases, python, ours);

        // Nothing reached root's child: it exits with 0, "no signal received".
        Assert.Equal(0, await target.FinishAsync());
        Assert.DoesNotContain(target.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    private static async Task<string[]> RunPythonAsync(Case[] cases, IReadOnlyList<string>? wrapper = null)
    {
        string json = "[" + string.Join(",", cases.Select(c => string.Create(CultureInfo.InvariantCulture, $"[{c.Pid},{c.Sig}]"))) + "]";
        string stdout = await Python.RunAsync(KillScript, [json], wrapper);
        using var doc = JsonDocument.Parse(stdout);
        string[] outcomes = doc.RootElement.EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(cases.Length, outcomes.Length);
        return outcomes;
    }

    // The outcome class of Os.Kill, and a check that the exception type fits the errno.
    private static string OsKillOutcome(int pid, int sig)
    {
        try
        {
            Os.Kill(pid, sig);
            return "ok";
        }
        catch (OsException e)
        {
            (string outcome, Type type) = e.Errno switch
            {
                3 => ("ESRCH", typeof(ProcessLookupException)),
                1 => ("EPERM", typeof(PermissionDeniedException)),
                22 => ("EINVAL", typeof(OsException)),
                _ => ($"errno {e.Errno}", typeof(OsException)),
            };
            bool describes = e.Pid == pid && e.Signal == sig && e.Message.Contains(pid.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            return e.GetType() == type && describes ? outcome : $"{outcome} as {e.GetType().Name}, Pid {e.Pid}, Signal {e.Signal}: {e.Message}";
        }
    }

    private static void AssertSafe(Case[] cases)
    {
        foreach (Case c in cases)
        {
            // Never pid 0, -1 or a process group; pid 1 and the kernel-rejected extremes only with sig 0.
            Assert.True(c.Pid > 0 || (c.Pid == int.MinValue && c.Sig == 0), $"unsafe case {c}");
            Assert.True(c.Pid != 1 || c.Sig == 0, $"unsafe case {c}");
            Assert.True(c.Pid != Environment.ProcessId || c.Sig == 0, $"unsafe case {c}");
        }
    }

    private void Report(Case[] cases, string[] python, string[] ours)
    {
        output.WriteLine("| target | pid | sig | python | OsKill | expected |");
        output.WriteLine("|---|---|---|---|---|---|");
        for (int i = 0; i < cases.Length; i++)
        {
            output.WriteLine($"| {cases[i].Target} | {cases[i].Pid} | {cases[i].Sig} | {python[i]} | {ours[i]} | {cases[i].Expected} |");
        }
    }

    private static void AssertOutcomes(Case[] cases, string[] python, string[] ours)
    {
        var failures = new List<string>();
        for (int i = 0; i < cases.Length; i++)
        {
            if (python[i] != ours[i])
            {
                failures.Add($"{cases[i]}: python {python[i]}, OsKill {ours[i]}");
            }
            else if (python[i] != cases[i].Expected)
            {
                // Both agree but not with what Linux documents: the oracle itself is off.
                failures.Add($"{cases[i]}: both {python[i]}, expected {cases[i].Expected}");
            }
        }

        Assert.Empty(failures);
    }

    private static async Task WaitForCountAsync(Child child, int count, params int[] signals)
    {
        bool Done() => signals.All(s => child.Seen.Count(l => l == $"got {s}") >= count);
        if (!Done())
        {
            await child.WaitForLineAsync(_ => Done());
        }
    }

    // A pid with no process or thread, as far from the kernel's allocation cursor as possible:
    // pids are handed out upward from the last one, wrapping at pid_max to 300.
    private static int FindFreePid()
    {
        int pidMax = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), CultureInfo.InvariantCulture);
        int last = int.Parse(File.ReadAllText("/proc/sys/kernel/ns_last_pid").Trim(), CultureInfo.InvariantCulture);
        for (int i = 0; i < pidMax; i++)
        {
            int pid = (int)((last + (long)(pidMax / 2) + i) % pidMax);
            if (pid > 300 && !Directory.Exists($"/proc/{pid}"))
            {
                return pid;
            }
        }

        throw new InvalidOperationException("no free pid");
    }

    private static bool PendingForProcess(int pid, int sig)
    {
        string line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("ShdPnd:", StringComparison.Ordinal));
        ulong mask = ulong.Parse(line["ShdPnd:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (mask & (1UL << (sig - 1))) != 0;
    }

    private sealed record Case(string Target, int Pid, int Sig, string Expected);
}
