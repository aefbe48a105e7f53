using System.Diagnostics;

namespace OsKill.Tests;

/// <summary>
/// ProcessHandle against real processes: it names one process for its lifetime (a pidfd on
/// Linux), signals it, says whether it is alive (a zombie counts as exited), waits for its exit
/// without polling, reads its exit status where we can know it, refuses pids of 0 and below, and
/// never reaches a process that later got the same pid.
/// </summary>
public class ProcessHandleTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A shell child that follows the "ready PID" protocol and exits with code 3 once stdin closes.
    private static readonly string[] ExitThree = ["sh", "-c", "echo ready $$; read -r line; exit 3"];

    // A shell child that becomes `sleep` (same pid) and dies of the default action of SIGTERM.
    private static readonly string[] SleepAfterReady = ["sh", "-c", "echo ready $$; exec sleep 60"];

    // The test child runs under sh, which keeps stdin for it on fd 3 and then sits in `read`, which
    // reaps nothing: once the child dies it stays a zombie until stdin closes and `wait` reaps it.
    private const string ZombieKeeper = "exec 3<&0; \"$@\" <&3 3<&- & exec 3<&-; read -r line; wait";

    [Fact]
    public async Task Open_and_FromProcess_name_a_live_child_and_Signal_reaches_it()
    {
        using Child child = await Child.StartAsync("catch", "USR1", "USR2");
        using var byPid = ProcessHandle.Open(child.Pid);
        using var byProcess = ProcessHandle.FromProcess(child.Process);
        using SafePidfdHandle callers = Os.PidfdOpen(child.Pid);
        using var byPidfd = ProcessHandle.FromPidfd(callers);

        Assert.Equal(child.Pid, byPid.Pid);
        Assert.Equal(child.Pid, byProcess.Pid);
        Assert.Equal(child.Pid, byPidfd.Pid);
        Assert.Equal($"process {child.Pid}", byPid.ToString());
        SafePidfdHandle pidfd = Assert.IsType<SafePidfdHandle>(byPid.SafeHandle);
        Assert.Equal(child.Pid, pidfd.Pid);
        Assert.False(pidfd.IsInvalid);
        Assert.True(byPid.IsAlive);
        Assert.True(byProcess.IsAlive);
        Assert.Null(byPid.ExitStatus);
        Assert.Null(byProcess.ExitStatus);

        byPid.Signal(Signal.SIGUSR1);
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        byProcess.Signal(Signal.SIGUSR2);
        await child.WaitForLineAsync($"got {Signal.SIGUSR2}");
        byPidfd.Signal(0);

        // The catch child exits with the number of the first signal it received.
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
        Assert.False(byPid.IsAlive);
        Assert.False(byProcess.IsAlive);
        Assert.Equal(2, child.Seen.Count(l => l.StartsWith("got ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task IsAlive_turns_false_when_the_child_exits_and_Signal_then_gives_ProcessLookupException()
    {
        using Child child = await Child.StartAsync("sleep");
        using var handle = ProcessHandle.Open(child.Pid);
        Assert.True(handle.IsAlive);

        Assert.Equal(0, await child.FinishAsync());

        Assert.False(handle.IsAlive);
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => handle.Signal(Signal.SIGUSR1));
        Assert.Equal(3, e.Errno);
        Assert.Equal(child.Pid, e.Pid);
        Assert.Equal(3, Assert.Throws<ProcessLookupException>(() => handle.Signal(0)).Errno);
    }

    [Fact]
    public async Task A_zombie_is_not_alive_and_cannot_be_signalled_through_the_handle()
    {
        using Child child = await Child.StartWrappedAsync(["sh", "-c", ZombieKeeper, "sh"], ["catch", "USR1"]);
        Assert.NotEqual(child.Process.Id, child.Pid);
        using var handle = ProcessHandle.Open(child.Pid);
        Assert.True(handle.IsAlive);
        Task exit = handle.WaitForExitAsync(Ct);
        Assert.False(exit.IsCompleted);

        Os.Kill(child.Pid, Signal.SIGKILL);
        Assert.Equal('Z', await ProcState.WaitForStateAsync(child.Pid, s => s == 'Z'));

        await exit.WaitAsync(Generous, Ct);
        Assert.False(handle.IsAlive);

        // The docs promise ProcessLookupException once the process has exited; a zombie has.
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => handle.Signal(Signal.SIGUSR1));
        Assert.Equal(3, e.Errno);
        Assert.Equal(child.Pid, e.Pid);

        // We are not its parent (sh is) and no Process stands behind the handle: unknown.
        Assert.Null(handle.ExitStatus);

        // Reading all that did not reap it.
        Assert.Equal('Z', ProcState.State(child.Pid));

        child.CloseInput();
        Assert.Equal(0, await child.WaitForExitAsync());
        Assert.False(handle.IsAlive);
        Assert.Equal(3, Assert.Throws<ProcessLookupException>(() => handle.Signal(0)).Errno);
    }

    [Fact]
    public async Task WaitForExitAsync_completes_after_the_child_exits_for_every_waiter()
    {
        using Child child = await Child.StartAsync("sleep");
        using var handle = ProcessHandle.Open(child.Pid);

        // The parameterless call is the subject here: no test token on purpose.
#pragma warning disable xUnit1051
        Task first = handle.WaitForExitAsync(Ct);
#pragma warning restore xUnit1051
        Task second = handle.WaitForExitAsync(CancellationToken.None);
        using var unused = new CancellationTokenSource();
        Task third = handle.WaitForExitAsync(unused.Token);

        // The child sleeps until its stdin closes: none of the waits may be done yet.
        await Task.Delay(100, Ct);
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);
        Assert.True(handle.IsAlive);

        child.CloseInput();
        await Task.WhenAll(first, second, third).WaitAsync(Generous, Ct);
        Assert.True(first.IsCompletedSuccessfully && second.IsCompletedSuccessfully && third.IsCompletedSuccessfully);
        Assert.False(handle.IsAlive);
        Assert.Equal(0, await child.WaitForExitAsync());
    }

    [Fact]
    public async Task WaitForExitAsync_completes_at_once_for_a_process_that_has_exited()
    {
        using Child child = await Child.StartAsync("sleep");
        using var handle = ProcessHandle.Open(child.Pid);
        Assert.Equal(0, await child.FinishAsync());

        Task wait = handle.WaitForExitAsync(Ct);
        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    [Fact]
    public async Task WaitForExitAsync_honours_cancellation_and_leaves_the_process_running()
    {
        using Child child = await Child.StartAsync("sleep");
        using var handle = ProcessHandle.Open(child.Pid);

        // Cancelled while waiting.
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            OperationCanceledException e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle.WaitForExitAsync(cts.Token));
            Assert.Equal(cts.Token, e.CancellationToken);
        }

        // Cancelled before the call: a cancelled task, not an exception thrown by the call itself.
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Task wait = handle.WaitForExitAsync(cancelled.Token);
            Assert.True(wait.IsCanceled);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        }

        // Cancellation cancels the wait, not the process.
        Assert.True(handle.IsAlive);
        Assert.False(child.Process.HasExited);
        Assert.NotEqual('Z', ProcState.State(child.Pid));
        Assert.NotNull(ProcState.State(child.Pid));

        // And the watcher still works for a new wait.
        Task exit = handle.WaitForExitAsync(Ct);
        child.CloseInput();
        await exit.WaitAsync(Generous, Ct);
        Assert.Equal(0, await child.WaitForExitAsync());
    }

    [Fact]
    public async Task ExitStatus_reads_the_exit_code_through_waitid_when_we_are_the_unreaped_parent()
    {
        // Started outside Process, so that .NET does not reap it: it stays our zombie.
        using var spawned = SpawnedProcess.Start("sh", "-c", "exit 3");
        using var handle = ProcessHandle.Open(spawned.Pid);
        await handle.WaitForExitAsync(Ct).WaitAsync(Generous, Ct);

        Assert.False(handle.IsAlive);
        Assert.Equal('Z', ProcState.State(spawned.Pid));
        Assert.Equal(new ExitStatus(3, null), handle.ExitStatus);
        Assert.Equal("exited with code 3", handle.ExitStatus.ToString());

        // WNOWAIT: reading it twice gives the same, and the zombie is still there for its reaper.
        Assert.Equal(new ExitStatus(3, null), handle.ExitStatus);
        Assert.Equal('Z', ProcState.State(spawned.Pid));
        int status = spawned.Reap();
        Assert.Equal(3, SpawnedProcess.ExitCodeOf(status));

        // Reaped, and no Process behind the handle: unknown now.
        Assert.Null(handle.ExitStatus);
        Assert.False(handle.IsAlive);
    }

    [Fact]
    public async Task ExitStatus_reads_the_terminating_signal_through_waitid_when_we_are_the_unreaped_parent()
    {
        using var spawned = SpawnedProcess.Start("sleep", "60");
        using var handle = ProcessHandle.Open(spawned.Pid);
        Assert.True(handle.IsAlive);
        Assert.Null(handle.ExitStatus);

        handle.Signal(Signal.SIGTERM);
        await handle.WaitForExitAsync(Ct).WaitAsync(Generous, Ct);

        Assert.Equal(new ExitStatus(null, Signal.SIGTERM, CoreDumped: false), handle.ExitStatus);
        Assert.Equal($"killed by signal {Signal.SIGTERM} (SIGTERM)", handle.ExitStatus.ToString());
        Assert.Equal('Z', ProcState.State(spawned.Pid));
        Assert.Equal(Signal.SIGTERM, SpawnedProcess.SignalOf(spawned.Reap()));
    }

    [Fact]
    public async Task ExitStatus_of_a_Process_that_dotnet_reaped_comes_from_Process_ExitCode()
    {
        // .NET's Process reaps its children itself; once it has, waitid has nothing to read and the
        // handle falls back to Process.ExitCode. Waiting on the Process first makes that certain.
        using Child exits = await Child.StartCommandAsync(ExitThree);
        using Child killed = await Child.StartCommandAsync(SleepAfterReady);
        using var exitsHandle = ProcessHandle.FromProcess(exits.Process);
        using var exitsByPid = ProcessHandle.Open(exits.Pid);
        using var killedHandle = ProcessHandle.FromProcess(killed.Process);

        Assert.Equal(3, await exits.FinishAsync());
        Assert.Equal(new ExitStatus(3, null), exitsHandle.ExitStatus);

        // Opened by pid, the handle has no Process to ask, and we can no longer read it: unknown.
        Assert.Null(exitsByPid.ExitStatus);

        // Death by SIGTERM once .NET has reaped: .NET 11 says which signal; before it, the status is
        // .NET's exit code 128 + 15, flagged as one that a signal may have made.
        killedHandle.Signal(Signal.SIGTERM);
        Assert.Equal(128 + Signal.SIGTERM, await killed.WaitForExitAsync());
        ExitStatus status = Assert.NotNull(killedHandle.ExitStatus);
        if (Environment.Version.Major >= 11)
        {
            Assert.Equal(new ExitStatus(null, Signal.SIGTERM), status);
            Assert.Equal($"killed by signal {Signal.SIGTERM} (SIGTERM)", status.ToString());
        }
        else
        {
            Assert.Equal((128 + Signal.SIGTERM, null, true), (status.ExitCode, status.TerminatingSignal, status.ExitCodeMayBeSignal));
            Assert.Equal($"exited with code {128 + Signal.SIGTERM}, or killed by signal {Signal.SIGTERM} (SIGTERM): .NET's Process reports both as {128 + Signal.SIGTERM}", status.ToString());
        }

        // An exit code below 129 is no signal's: a plain exit on every runtime.
        Assert.False(exitsHandle.ExitStatus!.Value.ExitCodeMayBeSignal);
    }

    [Fact]
    public async Task ExitStatus_of_a_Process_that_exited_with_128_plus_N_is_an_exit_on_dotnet_11_and_flagged_before()
    {
        // exit(143) itself: .NET 11 knows that no signal ended it; earlier runtimes cannot tell it
        // from death by SIGTERM, and the status says so rather than claim a plain exit.
        int code = 128 + Signal.SIGTERM;
        using Child child = await Child.StartCommandAsync(["sh", "-c", $"echo ready $$; read -r line; exit {code}"]);
        using var handle = ProcessHandle.FromProcess(child.Process);

        Assert.Equal(code, await child.FinishAsync());
        ExitStatus status = Assert.NotNull(handle.ExitStatus);
        Assert.Equal(code, status.ExitCode);
        Assert.Null(status.TerminatingSignal);
        Assert.Equal(Environment.Version.Major < 11, status.ExitCodeMayBeSignal);
    }

#if OSKILL_NET11
    [Fact]
    public async Task On_dotnet_11_ExitStatus_agrees_with_Process_WaitForExitStatus_for_a_child_dotnet_reaped()
    {
        // The same child, read both ways after .NET has reaped it: the signal, and the exit code.
        using Child killed = await Child.StartCommandAsync(SleepAfterReady);
        using Child exits = await Child.StartCommandAsync(ExitThree);
        using var killedHandle = ProcessHandle.FromProcess(killed.Process);
        using var exitsHandle = ProcessHandle.FromProcess(exits.Process);
        killedHandle.Signal(Signal.SIGTERM);
        await killed.WaitForExitAsync();
        await exits.FinishAsync();

        foreach ((Child child, ProcessHandle handle) in new[] { (killed, killedHandle), (exits, exitsHandle) })
        {
            ProcessExitStatus theirs = child.Process.WaitForExitStatus();
            ExitStatus ours = Assert.NotNull(handle.ExitStatus);
            Assert.Equal(theirs.Signal, ours.PosixSignal);
            Assert.False(ours.ExitCodeMayBeSignal);

            // The conversion in docs/dotnet11-cliwrap-medallionshell.md gives .NET 11's own value.
            var converted = new ProcessExitStatus(ours.ExitCode ?? 128 + ours.TerminatingSignal!.Value, false, ours.PosixSignal);
            Assert.Equal((theirs.ExitCode, theirs.Canceled, theirs.Signal), (converted.ExitCode, converted.Canceled, converted.Signal));
        }

        Assert.Equal(System.Runtime.InteropServices.PosixSignal.SIGTERM, killedHandle.ExitStatus!.Value.PosixSignal);
    }
#endif

    [Theory]
    [InlineData(0, "own process group")]
    [InlineData(-1, "every process")]
    [InlineData(-5, "process group")]
    [InlineData(int.MinValue, "process group")]
    public void Open_refuses_pid_zero_and_below_and_says_why(int pid, string why)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => ProcessHandle.Open(pid));
        Assert.Equal("pid", e.ParamName);
        Assert.Equal(pid, e.ActualValue);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.Contains($"pid {pid} is not a process", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromProcess_refuses_null_and_a_Process_that_was_never_started()
    {
        Assert.Equal("process", Assert.Throws<ArgumentNullException>(() => ProcessHandle.FromProcess(null!)).ParamName);
        using var unstarted = new Process();
        Assert.Throws<InvalidOperationException>(() => ProcessHandle.FromProcess(unstarted));
    }

    [Fact]
    public void Open_of_a_pid_that_nobody_has_gives_ProcessLookupException()
    {
        int free = FreeIds.FindUnusedPid();
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => ProcessHandle.Open(free));
        Assert.Equal(3, e.Errno);
        Assert.Equal(free, e.Pid);
    }

    [Fact]
    public async Task FromProcess_of_a_process_that_has_exited_gives_ProcessLookupException()
    {
        using Child child = await Child.StartAsync("sleep");
        Assert.Equal(0, await child.FinishAsync());

        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => ProcessHandle.FromProcess(child.Process));
        Assert.Equal(3, e.Errno);
        Assert.Equal(child.Pid, e.Pid);
    }

    [Fact]
    public async Task FromPidfd_works_on_a_duplicate_so_the_caller_keeps_its_pidfd()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        using SafePidfdHandle callers = Os.PidfdOpen(child.Pid);
        var handle = ProcessHandle.FromPidfd(callers);
        SafePidfdHandle own = Assert.IsType<SafePidfdHandle>(handle.SafeHandle);

        Assert.Equal(child.Pid, handle.Pid);
        Assert.NotEqual(callers.FileDescriptor, own.FileDescriptor);
        handle.Signal(Signal.SIGUSR1);
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        handle.Dispose();

        Assert.True(own.IsClosed);
        Assert.False(callers.IsClosed);
        Os.Kill(callers, 0);
        Assert.Throws<ArgumentNullException>(() => ProcessHandle.FromPidfd(null!));
        callers.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ProcessHandle.FromPidfd(callers));
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
    }

    [Fact]
    public async Task After_Dispose_members_throw_ObjectDisposedException_and_the_process_is_untouched()
    {
        using Child child = await Child.StartAsync("catch", "USR1", "TERM");
        var handle = ProcessHandle.Open(child.Pid);
        handle.Dispose();
        handle.Dispose();

        Assert.True(handle.SafeHandle.IsClosed);
        Assert.Equal(child.Pid, handle.Pid);
        Assert.Throws<ObjectDisposedException>(() => handle.Signal(Signal.SIGUSR1));
        Assert.Throws<ObjectDisposedException>(() => handle.Signal(0));
        Assert.Throws<ObjectDisposedException>(() => handle.IsAlive);
        Assert.Throws<ObjectDisposedException>(() => handle.ExitStatus);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => handle.WaitForExitAsync(Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => handle.StopAsync(StopOptions.Graceful(TimeSpan.FromMilliseconds(100)), Ct));

        // Nothing reached the child, and closing the handle did not end it.
        Assert.False(child.Process.HasExited);
        Assert.Equal(0, await child.FinishAsync());
        Assert.DoesNotContain(child.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_handle_whose_pid_was_reused_never_reaches_the_new_process()
    {
        using Child a = await Child.StartAsync("sleep");
        int pid = a.Pid;
        Assert.Equal(a.Process.Id, pid);
        using var byPid = ProcessHandle.Open(pid);
        using var byProcess = ProcessHandle.FromProcess(a.Process);
        Assert.Equal(0, await a.FinishAsync());

        // A is reaped; B gets its pid. B catches (and reports) everything we might wrongly send.
        using Child b = await PidReuse.StartChildOnPidAsync(pid, "catch", "USR1", "USR2", "TERM", "INT");
        Assert.Equal(pid, b.Pid);

        foreach (ProcessHandle handle in new[] { byPid, byProcess })
        {
            Assert.False(handle.IsAlive);
            ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => handle.Signal(Signal.SIGUSR1));
            Assert.Equal(3, e.Errno);
            Assert.Equal(pid, e.Pid);
            Assert.Throws<ProcessLookupException>(() => handle.Signal(0));
            await handle.WaitForExitAsync(Ct).WaitAsync(Generous, Ct);

            StopResult result = await handle.StopAsync(StopOptions.Graceful(TimeSpan.FromMilliseconds(100)), Ct);
            Assert.True(result.Exited);
            Assert.Equal(StopOutcome.AlreadyExited, result.Outcome);
            Assert.Null(result.StepIndex);
            Assert.Null(result.Step);
        }

        // The handle from the Process still knows how A ended; the one by pid cannot.
        Assert.Equal(new ExitStatus(0, null), byProcess.ExitStatus);
        Assert.Null(byPid.ExitStatus);

        // Process.StopAsync on A's Process, whose pid is now B's, must not stop B either.
        StopResult viaProcess = await a.Process.StopAsync(StopOptions.Graceful(TimeSpan.FromMilliseconds(100), Signal.SIGINT), Ct);
        Assert.Equal(StopOutcome.AlreadyExited, viaProcess.Outcome);
        Assert.Null(viaProcess.StepIndex);
        Assert.Equal(new ExitStatus(0, null), viaProcess.ExitStatus);

        // Control: by pid, a signal does reach B. B exits with the first signal it received, so had
        // anything above reached it, that would be the exit code instead of USR2.
        Os.Kill(pid, Signal.SIGUSR2);
        await b.WaitForLineAsync($"got {Signal.SIGUSR2}");
        Assert.Equal(Signal.SIGUSR2, await b.FinishAsync());
        Assert.Equal([$"got {Signal.SIGUSR2}"], b.Seen.Where(l => l.StartsWith("got ", StringComparison.Ordinal)));
    }
}
