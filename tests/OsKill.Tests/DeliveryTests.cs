using System.Diagnostics;
using System.Globalization;

namespace OsKill.Tests;

/// <summary>
/// One test child, shared by the tests of <see cref="DeliveryTests"/> (which run one at a time),
/// that catches every signal a .NET child can catch more than once: starting it once instead of
/// once per signal keeps the suite fast.
/// </summary>
public sealed class CatchingChildFixture : IAsyncLifetime
{
    public Child Catcher { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Catcher = await Child.StartWrappedAsync(
            DeliveryTests.DefaultDispositions,
            ["catch", .. DeliveryTests.SharedCatchSignals().Select(s => s.ToString(CultureInfo.InvariantCulture))]);

    public ValueTask DisposeAsync()
    {
        Catcher?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Os.Kill delivers each signal to a real child process: every standard signal, some real-time
/// signals, SIGKILL, SIGSTOP and SIGCONT, and the existence check (signal 0) on live, zombie and
/// reaped processes. Signal numbers always come from the library (Signal.SIGxxx, Signal.Parse),
/// never from a table of Linux numbers.
/// </summary>
public class DeliveryTests(CatchingChildFixture fixture) : IClassFixture<CatchingChildFixture>
{
    /// <summary>
    /// Starts a catching child with every signal at its default action. The .NET runtime keeps a
    /// signal that the process inherited as ignored (SIGINT and SIGQUIT under a shell's "&amp;",
    /// SIGHUP under nohup) ignored, and never calls a PosixSignalRegistration for it; without this
    /// the tests would depend on how the test host was started.
    /// </summary>
    internal static readonly string[] DefaultDispositions = ["env", "--default-signal"];

    /// <summary>Every standard signal by name, with its number from the library's own property.</summary>
    private static readonly (string Name, int Number)[] s_standard =
    [
        ("HUP", Signal.SIGHUP), ("INT", Signal.SIGINT), ("QUIT", Signal.SIGQUIT), ("ILL", Signal.SIGILL),
        ("TRAP", Signal.SIGTRAP), ("ABRT", Signal.SIGABRT), ("BUS", Signal.SIGBUS), ("FPE", Signal.SIGFPE),
        ("KILL", Signal.SIGKILL), ("USR1", Signal.SIGUSR1), ("SEGV", Signal.SIGSEGV), ("USR2", Signal.SIGUSR2),
        ("PIPE", Signal.SIGPIPE), ("ALRM", Signal.SIGALRM), ("TERM", Signal.SIGTERM), ("STKFLT", Signal.SIGSTKFLT),
        ("CHLD", Signal.SIGCHLD), ("CONT", Signal.SIGCONT), ("STOP", Signal.SIGSTOP), ("TSTP", Signal.SIGTSTP),
        ("TTIN", Signal.SIGTTIN), ("TTOU", Signal.SIGTTOU), ("URG", Signal.SIGURG), ("XCPU", Signal.SIGXCPU),
        ("XFSZ", Signal.SIGXFSZ), ("VTALRM", Signal.SIGVTALRM), ("PROF", Signal.SIGPROF), ("WINCH", Signal.SIGWINCH),
        ("IO", Signal.SIGIO), ("PWR", Signal.SIGPWR), ("SYS", Signal.SIGSYS),
    ];

    /// <summary>Aliases that must parse to the same number as the primary name.</summary>
    private static readonly Dictionary<string, string[]> s_aliases = new()
    {
        ["ABRT"] = ["IOT"],
        ["CHLD"] = ["CLD", "SIGCLD"],
        ["IO"] = ["POLL", "SigPoll"],
    };

    // No handler can catch these.
    private static readonly string[] s_uncatchable = ["KILL", "STOP"];

    // Measured in a .NET child, these are not reliably reported through PosixSignalRegistration,
    // so they are tested in default mode, by number and by name:
    //  - SIGTRAP crashes the runtime;
    //  - SIGPIPE is ignored by the runtime, which then never installs a handler for it;
    //  - SIGILL, SIGABRT, SIGBUS, SIGFPE and SIGSEGV go first to the runtime's own handler, which
    //    puts back the default action: the child reports the first one at best, and sometimes
    //    dies of it.
    private static readonly string[] s_notCatchableInDotnet = ["TRAP", "PIPE", "ILL", "ABRT", "BUS", "FPE", "SEGV"];

    // SIGQUIT is caught reliably once the child does not inherit it ignored (DefaultDispositions),
    // so it is tested both ways: caught, and in default mode by number and by name.
    private static readonly string[] s_byNameInDefaultMode = [.. s_notCatchableInDotnet, "QUIT"];

    private static readonly string[] s_ignoredByDefault = ["CHLD", "CONT", "URG", "WINCH"];

    private static readonly string[] s_stopByDefault = ["TSTP", "TTIN", "TTOU"];

    /// <summary>
    /// Real-time signals by a parsed spelling, with the number computed from SIGRTMIN and SIGRTMAX.
    /// SIGRTMIN itself is left out: CoreCLR uses the first real-time signal for itself.
    /// </summary>
    private static readonly (string Spelling, int Number)[] s_realTime =
    [
        ("RTMIN+2", Signal.SIGRTMIN + 2),
        ("RTMIN+10", Signal.SIGRTMIN + 10),
        ("RTMAX", Signal.SIGRTMAX),
        ("RT5", Signal.SIGRTMIN + 5),
        ("RTMAX-1", Signal.SIGRTMAX - 1),
        ("sigrtmin+2", Signal.SIGRTMIN + 2),
    ];

    public static TheoryData<string, int> RealTimeSignals()
    {
        var data = new TheoryData<string, int>();
        foreach ((string spelling, int number) in s_realTime)
        {
            data.Add(spelling, number);
        }

        return data;
    }

    /// <summary>What the shared child catches: the repeatably catchable standard signals and the real-time ones.</summary>
    public static IEnumerable<int> SharedCatchSignals() =>
        RepeatablyCatchable().Select(s => s.Number).Concat(s_realTime.Select(s => s.Number)).Distinct();

    /// <summary>
    /// Every standard signal that a .NET child catches again and again, with the spellings to send
    /// it by, in order: its number, then names and aliases that Signal.Parse must turn into it.
    /// </summary>
    public static TheoryData<string, int, string[]> CatchableSignals()
    {
        var data = new TheoryData<string, int, string[]>();
        foreach ((string name, int number) in RepeatablyCatchable())
        {
            data.Add(name, number, [number.ToString(CultureInfo.InvariantCulture), name, "sig" + name.ToLowerInvariant(), "SIG" + name, .. s_aliases.GetValueOrDefault(name, [])]);
        }

        return data;
    }

    private static IEnumerable<(string Name, int Number)> RepeatablyCatchable() =>
        s_standard.Where(s => !s_uncatchable.Contains(s.Name)
            && !s_notCatchableInDotnet.Contains(s.Name));

    /// <summary>
    /// Every standard signal whose default action ends the process, sent by its number to a child
    /// that put back the default action; those that a .NET child cannot catch reliably are also
    /// sent by their parsed names.
    /// </summary>
    public static TheoryData<string, int, string> TerminatingSignals()
    {
        var data = new TheoryData<string, int, string>();
        foreach ((string name, int number) in s_standard)
        {
            if (s_uncatchable.Contains(name) || s_ignoredByDefault.Contains(name) || s_stopByDefault.Contains(name))
            {
                continue;
            }

            data.Add(name, number, number.ToString(CultureInfo.InvariantCulture));
            if (s_byNameInDefaultMode.Contains(name))
            {
                data.Add(name, number, "sig" + name.ToLowerInvariant());
                foreach (string alias in s_aliases.GetValueOrDefault(name, []))
                {
                    data.Add(name, number, alias);
                }
            }
        }

        return data;
    }

    public static TheoryData<string> KillSpellings() => new()
    {
        Signal.SIGKILL.ToString(CultureInfo.InvariantCulture),
        "sigKill",
    };

    [Fact]
    public void The_standard_signal_list_covers_every_valid_signal_below_SIGRTMIN()
    {
        int[] expected = Signal.ValidSignals().Where(s => s < Signal.SIGRTMIN).ToArray();
        int[] listed = s_standard.Select(s => s.Number).Order().ToArray();
        Assert.Equal(expected, listed);
        foreach ((string name, int number) in s_standard)
        {
            Assert.Equal(number, Signal.Parse(name));
            Assert.Equal(name, Signal.Name(number));
        }
    }

    [Theory]
    [MemberData(nameof(CatchableSignals))]
    public async Task Caught_signal_arrives_by_number_and_by_each_spelling_of_its_name(string name, int sig, string[] spellings)
    {
        Child catcher = fixture.Catcher;
        string got = $"got {sig}";
        int before = catcher.CountSeen(got);
        foreach (string spelling in spellings)
        {
            int parsed = Signal.Parse(spelling);
            Assert.Equal(sig, parsed);
            Assert.Equal(name, Signal.Name(parsed));
            Os.Kill(catcher.Pid, parsed);
            await catcher.WaitForLineAsync(got);
        }

        // Each send arrived exactly once, and the child lives on.
        Assert.Equal(before + spellings.Length, catcher.CountSeen(got));
        Assert.False(catcher.Process.HasExited);
    }

    [Theory]
    [MemberData(nameof(TerminatingSignals))]
    public async Task Signal_whose_default_action_terminates_ends_a_child_in_default_mode(string name, int sig, string spelling)
    {
        int parsed = Signal.Parse(spelling);
        Assert.Equal(sig, parsed);
        Assert.Equal(name, Signal.Name(parsed));
        using Child child = await Child.StartAsync("default", sig.ToString(CultureInfo.InvariantCulture));

        Os.Kill(child.Pid, parsed);

        // .NET reports death by signal N as exit code 128 + N.
        Assert.Equal(128 + sig, await child.WaitForExitAsync());
    }

    [Fact]
    public async Task Signals_whose_default_action_is_ignore_leave_a_child_in_default_mode_running()
    {
        (string Name, int Number)[] ignored = s_standard.Where(s => s_ignoredByDefault.Contains(s.Name)).ToArray();
        Assert.Equal(s_ignoredByDefault.Length, ignored.Length);
        using Child child = await Child.StartAsync(
            ["default", .. ignored.Select(s => s.Number.ToString(CultureInfo.InvariantCulture))]);

        foreach ((string name, int number) in ignored)
        {
            Os.Kill(child.Pid, number);
            Os.Kill(child.Pid, Signal.Parse("sig" + name.ToLowerInvariant()));
        }

        // The kernel discards an ignored signal when it is sent; the child lives on and finishes
        // normally when told to.
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(child.Process.HasExited, "a signal whose default action is to ignore it ended the child");
        char? state = ProcState.State(child.Pid);
        Assert.NotNull(state);
        Assert.NotEqual('Z', state);
        Assert.Equal(0, await child.FinishAsync());
    }

    [Fact]
    public async Task Signals_whose_default_action_is_stop_stop_a_child_in_default_mode()
    {
        (string Name, int Number)[] stops = s_standard.Where(s => s_stopByDefault.Contains(s.Name)).ToArray();
        Assert.Equal(s_stopByDefault.Length, stops.Length);

        // A stop signal is discarded, not acted on, in an orphaned process group, and whether the
        // test host's group is orphaned depends on how the tests were started. A group of the
        // child's own whose parent (the test host) is in the same session is never orphaned.
        using Child child = await Child.StartWrappedAsync(
            OwnProcessGroupWrapper(),
            ["default", .. stops.Select(s => s.Number.ToString(CultureInfo.InvariantCulture))]);
        Assert.Equal(child.Pid, ProcState.ProcessGroup(child.Pid));

        foreach ((string name, int number) in stops)
        {
            Os.Kill(child.Pid, number);
            Assert.True('T' == await ProcState.WaitForStateAsync(child.Pid, s => s == 'T'), $"SIG{name} did not stop the child");
            Os.Kill(child.Pid, Signal.SIGCONT);
            char? state = await ProcState.WaitForStateAsync(child.Pid, s => s is not 'T');
            Assert.NotNull(state);
            Assert.NotEqual('T', state);
        }

        Assert.Equal(0, await child.FinishAsync());
    }

    [Theory]
    [MemberData(nameof(RealTimeSignals))]
    public async Task Real_time_signal_arrives_by_number_and_by_name_and_queues(string spelling, int sig)
    {
        Assert.InRange(sig, Signal.SIGRTMIN + 1, Signal.SIGRTMAX);
        Assert.Equal(sig, Signal.Parse(spelling));
        Child catcher = fixture.Catcher;
        string got = $"got {sig}";
        int before = catcher.CountSeen(got);

        Os.Kill(catcher.Pid, sig);
        await catcher.WaitForLineAsync(got);
        Os.Kill(catcher.Pid, Signal.Parse(spelling));
        await catcher.WaitForLineAsync(got);

        // Real-time signals queue: three sent at once arrive three times, unlike standard signals.
        Os.Kill(catcher.Pid, sig);
        Os.Kill(catcher.Pid, sig);
        Os.Kill(catcher.Pid, sig);
        await catcher.WaitForLineAsync(got);
        await catcher.WaitForLineAsync(got);
        await catcher.WaitForLineAsync(got);

        Assert.Equal(before + 5, catcher.CountSeen(got));
        Assert.False(catcher.Process.HasExited);
    }

    [Theory]
    [MemberData(nameof(KillSpellings))]
    public async Task Sigkill_ends_the_child(string spelling)
    {
        int sig = Signal.Parse(spelling);
        Assert.Equal(Signal.SIGKILL, sig);
        using Child child = await Child.StartAsync("sleep");
        Os.Kill(child.Pid, sig);
        Assert.Equal(128 + Signal.SIGKILL, await child.WaitForExitAsync());
    }

    [Fact]
    public async Task Sigstop_stops_the_child_and_sigcont_resumes_it()
    {
        int usr1 = Signal.SIGUSR1;
        using Child child = await Child.StartAsync("catch", usr1.ToString(CultureInfo.InvariantCulture));

        Assert.Equal(Signal.SIGSTOP, Signal.Parse("STOP"));
        Os.Kill(child.Pid, Signal.Parse("STOP"));
        Assert.Equal('T', await ProcState.WaitForStateAsync(child.Pid, s => s == 'T'));

        // A stopped process does not run its handlers: the signal waits, pending for the process.
        Os.Kill(child.Pid, usr1);
        Assert.True(IsPendingForProcess(child.Pid, usr1), $"SIGUSR1 is not pending in the stopped child {child.Pid}");
        Assert.Equal('T', ProcState.State(child.Pid));

        Assert.Equal(Signal.SIGCONT, Signal.Parse("sigcont"));
        Os.Kill(child.Pid, Signal.Parse("sigcont"));
        char? state = await ProcState.WaitForStateAsync(child.Pid, s => s is not 'T');
        Assert.NotNull(state);
        Assert.NotEqual('T', state);

        // The pending signal arrives once it runs again, and the child still answers.
        await child.WaitForLineAsync($"got {usr1}");
        Os.Kill(child.Pid, usr1);
        await child.WaitForLineAsync($"got {usr1}");
        Assert.Equal(usr1, await child.FinishAsync());
    }

    [Fact]
    public async Task Signal_zero_on_a_live_process_succeeds_and_sends_nothing()
    {
        using Child child = await Child.StartAsync("catch", Signal.SIGUSR1.ToString(CultureInfo.InvariantCulture));
        Os.Kill(child.Pid, 0);
        Os.Kill(child.Pid, Signal.Parse("0"));

        // The child exits with the first signal it received: 0 means none.
        Assert.Equal(0, await child.FinishAsync());
        Assert.DoesNotContain(child.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Signal_zero_and_a_real_signal_reach_a_zombie()
    {
        // The shell starts a short sleep in the background, then becomes a long sleep that never
        // waits for it: the short sleep becomes a zombie child of the long one.
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("sleep 0.1 & echo $!; exec sleep 30");
        using Process parent = Process.Start(psi)!;
        try
        {
            string? line = await parent.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
            Assert.NotNull(line);
            int zombie = int.Parse(line, CultureInfo.InvariantCulture);
            Assert.Equal('Z', await ProcState.WaitForStateAsync(zombie, s => s == 'Z'));

            Os.Kill(zombie, 0);
            Os.Kill(zombie, Signal.SIGTERM);
            Assert.Equal('Z', ProcState.State(zombie));
        }
        finally
        {
            parent.Kill();
            parent.WaitForExit(5000);
        }
    }

    [Fact]
    public async Task Signal_zero_on_a_reaped_process_is_ProcessLookupException()
    {
        int pid;
        using (Child child = await Child.StartAsync("sleep"))
        {
            pid = child.Pid;
            Assert.Equal(0, await child.FinishAsync());
        }

        // .NET has waited for the child, so the pid is free.
        Assert.Null(ProcState.State(pid));
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Os.Kill(pid, 0));
        Assert.Equal(3, e.Errno);
        Assert.Equal(pid, e.Pid);
        Assert.Equal(0, e.Signal);
        Assert.Equal("kill", e.Operation);
        Assert.Contains(pid.ToString(CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// perl as an exec wrapper that first moves into a process group of its own (setpgid(0, 0)),
    /// in the same session: perl-base is part of every Debian-based system.
    /// </summary>
    private static string[] OwnProcessGroupWrapper()
    {
        string? perl = new[] { "/usr/bin/perl", "/bin/perl", "/usr/local/bin/perl" }.FirstOrDefault(File.Exists);
        if (perl is null)
        {
            Assert.Skip("perl is needed to start the child in a process group of its own (no perl in /usr/bin, /bin or /usr/local/bin)");
        }

        return [perl, "-e", "setpgrp(0, 0) or die qq(setpgrp: $!); exec { $ARGV[0] } @ARGV or die qq(exec: $!)"];
    }

    /// <summary>Whether <paramref name="sig"/> is pending for the whole process (ShdPnd in /proc/PID/status).</summary>
    private static bool IsPendingForProcess(int pid, int sig)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("ShdPnd:", StringComparison.Ordinal))
            {
                ulong mask = ulong.Parse(line["ShdPnd:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                return (mask & (1UL << (sig - 1))) != 0;
            }
        }

        throw new InvalidOperationException($"no ShdPnd in /proc/{pid}/status");
    }
}
