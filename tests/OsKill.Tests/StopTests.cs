using System.Globalization;

namespace OsKill.Tests;

/// <summary>
/// Graceful stop with escalation on real processes: ProcessHandle.StopAsync and Process.StopAsync
/// send each step's signal, wait up to its timeout, and report the step after which the process
/// was gone; they honour cancellation and send nothing to a process that has already exited.
/// </summary>
public class StopTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_child_that_handles_SIGTERM_exits_in_the_polite_step()
    {
        using Child child = await Child.StartAsync("catch-exit", "TERM");
        using var handle = ProcessHandle.FromProcess(child.Process);

        StopResult result = await handle.StopAsync(StopOptions.Graceful(Long), Ct);

        Assert.True(result.Exited);
        Assert.Equal(StopOutcome.ExitedAtStep, result.Outcome);
        Assert.Equal(0, result.StepIndex);
        Assert.Equal(Signal.SIGTERM, result.Step?.Signal);

        // It exited in the polite step, so the grace period was not used up.
        Assert.True(result.Elapsed < Long, $"elapsed {result.Elapsed}");

        // catch-exit exits with the number of the signal it got, on either path of ExitStatus.
        Assert.Equal(new ExitStatus(Signal.SIGTERM, null), result.ExitStatus);
        Assert.Equal(Signal.SIGTERM, await child.WaitForExitAsync());
        await child.ReadToEndAsync();
        Assert.Equal([$"got {Signal.SIGTERM}"], Got(child));
    }

    [Fact]
    public async Task A_child_that_ignores_SIGTERM_is_killed_by_SIGKILL_after_the_grace_period()
    {
        using Child child = await Child.StartAsync("ignore", "TERM");
        Assert.True(IgnoresSignal(child.Pid, Signal.SIGTERM), "the child does not ignore SIGTERM");
        using var handle = ProcessHandle.FromProcess(child.Process);

        StopResult result = await handle.StopAsync(StopOptions.Graceful(Short), Ct);

        Assert.True(result.Exited);
        Assert.Equal(StopOutcome.ExitedAtStep, result.Outcome);
        Assert.Equal(1, result.StepIndex);
        Assert.Equal(Signal.SIGKILL, result.Step?.Signal);

        // The grace period was given in full (less a timer tick) before the SIGKILL.
        Assert.True(result.Elapsed >= Short - TimeSpan.FromMilliseconds(20), $"elapsed {result.Elapsed}");

        // Death by SIGKILL: read by waitid if .NET had not reaped the child yet, else from .NET
        // (which one depends on a race with .NET's SIGCHLD handling): .NET 11 says SIGKILL, an
        // earlier runtime only 128 + 9, flagged as a code that a signal may have made.
        ExitStatus status = Assert.NotNull(result.ExitStatus);
        Assert.True(
            status == new ExitStatus(null, Signal.SIGKILL)
                || (Environment.Version.Major < 11 && status.ExitCode == 128 + Signal.SIGKILL && status.TerminatingSignal is null && status.ExitCodeMayBeSignal),
            $"not death by SIGKILL: {status}");
        Assert.Equal(128 + Signal.SIGKILL, await child.WaitForExitAsync());
    }

    [Fact]
    public async Task The_result_carries_the_exact_exit_status_when_we_are_the_unreaped_parent()
    {
        // Started outside Process, so that they stay zombies for waitid to read.
        using var polite = SpawnedProcess.Start("sleep", "60");
        using var stubborn = SpawnedProcess.Start("sh", "-c", "trap '' TERM; exec sleep 60");
        using var politeHandle = ProcessHandle.Open(polite.Pid);
        using var stubbornHandle = ProcessHandle.Open(stubborn.Pid);

        // SIG_IGN survives exec: wait until sh has set it and become sleep.
        Assert.True(
            await WaitUntilAsync(() => IgnoresSignal(stubborn.Pid, Signal.SIGTERM) && Comm(stubborn.Pid) == "sleep"),
            "sh did not become a sleep that ignores SIGTERM");

        StopResult[] results = await Task.WhenAll(
            politeHandle.StopAsync(StopOptions.Graceful(Long), Ct),
            stubbornHandle.StopAsync(StopOptions.Graceful(Short), Ct));

        Assert.Equal(0, results[0].StepIndex);
        Assert.Equal(new ExitStatus(null, Signal.SIGTERM), results[0].ExitStatus);
        Assert.Equal(1, results[1].StepIndex);
        Assert.Equal(new ExitStatus(null, Signal.SIGKILL), results[1].ExitStatus);
        Assert.Equal(Signal.SIGTERM, SpawnedProcess.SignalOf(polite.Reap()));
        Assert.Equal(Signal.SIGKILL, SpawnedProcess.SignalOf(stubborn.Reap()));
    }

    [Fact]
    public async Task A_custom_chain_stops_at_the_step_that_ended_the_process()
    {
        // SIGINT 200 ms, SIGHUP 200 ms, SIGKILL. The step that should end a process gets a long
        // timeout instead (a process dies of it at once, so that costs nothing): being survived is
        // certain (SIG_IGN) but dying within 200 ms is not on a busy machine.
        var step = TimeSpan.FromMilliseconds(200);
        StopOptions Chain(TimeSpan intTimeout, TimeSpan hupTimeout) => new(
            [StopStep.SendSignal(Signal.SIGINT, intTimeout), StopStep.SendSignal(Signal.SIGHUP, hupTimeout), StopStep.SendSignal(Signal.SIGKILL, Long)]);

        // Dies of SIGINT; ignores SIGINT and dies of SIGHUP; ignores both and needs SIGKILL. These
        // are plain `sleep`s (sh sets SIG_IGN, which survives exec), so that each death is the
        // kernel's default action: no handler has to run first.
        using var onInt = SpawnedProcess.Start("sleep", "60");
        using var onHup = SpawnedProcess.Start("sh", "-c", "trap '' INT; exec sleep 60");
        using var onKill = SpawnedProcess.Start("sh", "-c", "trap '' INT HUP; exec sleep 60");
        Assert.True(
            await WaitUntilAsync(() =>
                Comm(onHup.Pid) == "sleep" && IgnoresSignal(onHup.Pid, Signal.SIGINT) &&
                Comm(onKill.Pid) == "sleep" && IgnoresSignal(onKill.Pid, Signal.SIGINT) && IgnoresSignal(onKill.Pid, Signal.SIGHUP)),
            "sh did not become a sleep that ignores the signals");
        using var intHandle = ProcessHandle.Open(onInt.Pid);
        using var hupHandle = ProcessHandle.Open(onHup.Pid);
        using var killHandle = ProcessHandle.Open(onKill.Pid);

        StopResult[] results = await Task.WhenAll(
            intHandle.StopAsync(Chain(Long, step), Ct),
            hupHandle.StopAsync(Chain(step, Long), Ct),
            killHandle.StopAsync(Chain(step, step), Ct));

        Assert.All(results, r => Assert.True(r.Outcome == StopOutcome.ExitedAtStep));
        Assert.Equal((0, Signal.SIGINT), (results[0].StepIndex, results[0].Step?.Signal));
        Assert.Equal((1, Signal.SIGHUP), (results[1].StepIndex, results[1].Step?.Signal));
        Assert.Equal((2, Signal.SIGKILL), (results[2].StepIndex, results[2].Step?.Signal));
        Assert.True(results[1].Elapsed >= TimeSpan.FromMilliseconds(180), $"elapsed {results[1].Elapsed}");
        Assert.True(results[2].Elapsed >= TimeSpan.FromMilliseconds(380), $"elapsed {results[2].Elapsed}");

        // We are their unreaped parent, so the exact deaths are known.
        Assert.Equal(new ExitStatus(null, Signal.SIGINT), results[0].ExitStatus);
        Assert.Equal(new ExitStatus(null, Signal.SIGHUP), results[1].ExitStatus);
        Assert.Equal(new ExitStatus(null, Signal.SIGKILL), results[2].ExitStatus);
        Assert.Equal(Signal.SIGINT, SpawnedProcess.SignalOf(onInt.Reap()));
        Assert.Equal(Signal.SIGHUP, SpawnedProcess.SignalOf(onHup.Reap()));
        Assert.Equal(Signal.SIGKILL, SpawnedProcess.SignalOf(onKill.Reap()));
    }

    [Fact]
    public async Task Graceful_takes_the_polite_signal_and_the_grace_period()
    {
        var options = StopOptions.Graceful(TimeSpan.FromSeconds(7), Signal.SIGINT);
        Assert.Equal([StopStep.SendSignal(Signal.SIGINT, TimeSpan.FromSeconds(7)), StopStep.SendSignal(Signal.SIGKILL, StopOptions.DefaultGracePeriod)], options.Steps);
        Assert.Equal(TimeSpan.FromSeconds(5), StopOptions.DefaultGracePeriod);
        Assert.Equal([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromSeconds(5)), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(5))], StopOptions.Default.Steps);
        Assert.Equal([StopStep.SendSignal(Signal.SIGTERM, Short), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(5))], StopOptions.Graceful(Short).Steps);

        using Child child = await Child.StartAsync("catch-exit", "INT", "TERM");
        using var handle = ProcessHandle.Open(child.Pid);
        StopResult result = await handle.StopAsync(options, Ct);

        Assert.Equal(0, result.StepIndex);
        Assert.Equal(Signal.SIGINT, result.Step?.Signal);
        Assert.Equal(Signal.SIGINT, await child.WaitForExitAsync());
    }

    [Fact]
    public async Task Process_StopAsync_stops_a_Process_with_the_default_and_with_given_options()
    {
        using Child polite = await Child.StartAsync("catch-exit", "TERM");
        using Child stubborn = await Child.StartAsync("ignore", "TERM");

        StopResult[] results = await Task.WhenAll(
            polite.Process.StopAsync(cancellationToken: Ct),
            stubborn.Process.StopAsync(StopOptions.Graceful(Short), Ct));

        Assert.Equal((0, Signal.SIGTERM), (results[0].StepIndex, results[0].Step?.Signal));
        Assert.Equal(new ExitStatus(Signal.SIGTERM, null), results[0].ExitStatus);
        Assert.Equal((1, Signal.SIGKILL), (results[1].StepIndex, results[1].Step?.Signal));
        Assert.True(results.All(r => r.Outcome == StopOutcome.ExitedAtStep));
        Assert.Equal(Signal.SIGTERM, await polite.WaitForExitAsync());
        Assert.Equal(128 + Signal.SIGKILL, await stubborn.WaitForExitAsync());
    }

    [Fact]
    public async Task An_exited_process_gives_AlreadyExited_and_nothing_is_sent()
    {
        using Child child = await Child.StartAsync("sleep");
        using var handle = ProcessHandle.FromProcess(child.Process);
        Assert.Equal(0, await child.FinishAsync());

        StopResult viaHandle = await handle.StopAsync(StopOptions.Graceful(Long), Ct);
        StopResult viaProcess = await child.Process.StopAsync(StopOptions.Graceful(Long), Ct);

        foreach (StopResult result in new[] { viaHandle, viaProcess })
        {
            Assert.True(result.Exited);
            Assert.Equal(StopOutcome.AlreadyExited, result.Outcome);
            Assert.Null(result.StepIndex);
            Assert.Null(result.Step);
            Assert.Equal(new ExitStatus(0, null), result.ExitStatus);
            Assert.True(result.Elapsed < Long, $"elapsed {result.Elapsed}");
        }
    }

    [Fact]
    public async Task A_zombie_gives_AlreadyExited()
    {
        // Our own unreaped child: StopAsync must see that it has exited, send nothing, and report
        // how it ended (SIGUSR1 was its death) rather than a SIGTERM it never got.
        using var spawned = SpawnedProcess.Start("sleep", "60");
        using var handle = ProcessHandle.Open(spawned.Pid);
        handle.Signal(Signal.SIGUSR1);
        await handle.WaitForExitAsync(Ct).WaitAsync(Long, Ct);
        Assert.Equal('Z', ProcState.State(spawned.Pid));

        StopResult result = await handle.StopAsync(StopOptions.Graceful(Short), Ct);

        Assert.Equal(StopOutcome.AlreadyExited, result.Outcome);
        Assert.Null(result.StepIndex);
        Assert.Equal(new ExitStatus(null, Signal.SIGUSR1), result.ExitStatus);
        Assert.Equal(Signal.SIGUSR1, SpawnedProcess.SignalOf(spawned.Reap()));
    }

    [Fact]
    public async Task Cancellation_before_the_first_step_sends_nothing()
    {
        using Child child = await Child.StartAsync("catch", "TERM", "INT");
        using var handle = ProcessHandle.FromProcess(child.Process);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle.StopAsync(StopOptions.Graceful(Short), cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => child.Process.StopAsync(StopOptions.Graceful(Short), cts.Token));

        Assert.True(handle.IsAlive);
        Assert.Equal(0, await child.FinishAsync());
        await child.ReadToEndAsync();
        Assert.Empty(Got(child));
    }

    [Fact]
    public async Task Cancellation_while_waiting_stops_the_escalation()
    {
        using Child child = await Child.StartAsync("catch", "TERM");
        using var handle = ProcessHandle.FromProcess(child.Process);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        Task<StopResult> stop = handle.StopAsync(StopOptions.Graceful(Long), cts.Token);
        await child.WaitForLineAsync($"got {Signal.SIGTERM}");
        Assert.False(stop.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stop);

        // No SIGKILL followed: the child still runs, and exits on its own with the number of the
        // first (and only) signal it got.
        Assert.True(handle.IsAlive);
        Assert.False(child.Process.HasExited);
        Assert.Equal(Signal.SIGTERM, await child.FinishAsync());
        await child.ReadToEndAsync();
        Assert.Equal([$"got {Signal.SIGTERM}"], Got(child));
    }

    [Fact]
    public async Task When_the_last_step_times_out_the_result_says_the_process_still_runs()
    {
        using Child child = await Child.StartAsync("ignore", "TERM");
        using var handle = ProcessHandle.Open(child.Pid);

        StopResult result = await handle.StopAsync(new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(200))]), Ct);

        Assert.False(result.Exited);
        Assert.Equal(StopOutcome.StillRunning, result.Outcome);
        Assert.Null(result.StepIndex);
        Assert.Null(result.ExitStatus);
        Assert.True(result.Elapsed >= TimeSpan.FromMilliseconds(180), $"elapsed {result.Elapsed}");
        Assert.True(handle.IsAlive);
        Assert.Equal(0, await child.FinishAsync());
    }

    [Fact]
    public void StopOptions_rejects_no_steps_and_negative_timeouts()
    {
        Assert.Equal("steps", Assert.Throws<ArgumentException>(() => new StopOptions([])).ParamName);
        Assert.Throws<ArgumentNullException>(() => new StopOptions(null!));
        ArgumentException negative = Assert.Throws<ArgumentException>(() => new StopOptions(
            [StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromSeconds(1)), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromMilliseconds(-2))]));
        Assert.Equal("steps", negative.ParamName);
        Assert.Contains("negative", negative.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => StopOptions.Graceful(TimeSpan.FromSeconds(-1)));

        // Zero and infinite timeouts are fine, and the steps are a copy.
        var steps = new List<StopStep> { StopStep.SendSignal(Signal.SIGTERM, TimeSpan.Zero), StopStep.SendSignal(Signal.SIGKILL, Timeout.InfiniteTimeSpan) };
        var options = new StopOptions(steps);
        steps.Clear();
        Assert.Equal(2, options.Steps.Count);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.Steps[1].Timeout);
    }

    /// <summary>The "got SIG" lines of everything the child printed (read its output to the end first).</summary>
    private static List<string> Got(Child child) =>
        child.Seen.Where(l => l.StartsWith("got ", StringComparison.Ordinal)).ToList();

    /// <summary>Whether SigIgn in /proc/PID/status has the signal's bit.</summary>
    private static bool IgnoresSignal(int pid, int sig)
    {
        string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << (sig - 1))) != 0;
    }

    private static string Comm(int pid) => File.ReadAllText($"/proc/{pid}/comm").Trim();

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10, Ct);
        }

        return true;
    }
}
