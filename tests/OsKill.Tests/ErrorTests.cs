using System.Globalization;

namespace OsKill.Tests;

/// <summary>
/// Errors from kill(2) become typed exceptions that carry the errno, pid, signal and operation,
/// with a message that names them and the OS text: EPERM, ESRCH and EINVAL.
/// </summary>
public class ErrorTests
{
    public static TheoryData<int> EpermSignals() => [Signal.SIGTERM, 0];

    public static TheoryData<int> InvalidSignals() => [1000, -1, Signal.NSIG, int.MinValue];

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(EpermSignals))]
    public async Task Unprivileged_caller_gets_EPERM_for_a_root_process_which_stays_untouched(int sig)
    {
        Unprivileged.SkipUnlessRoot();
        using Child target = await Child.StartAsync("catch", Num(Signal.SIGTERM));
        using Child caller = await Unprivileged.StartChildAsync("kill", Num(target.Pid), Num(sig));

        // The child really runs as nobody: EPERM below proves it could not signal root's process.
        await caller.WaitForLineAsync("result EPERM");
        string message = await caller.WaitForLineAsync(l => l.StartsWith("message ", StringComparison.Ordinal));
        Assert.Contains("[Errno 1]", message, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", message, StringComparison.Ordinal);
        Assert.Contains($"pid {target.Pid}", message, StringComparison.Ordinal);
        Assert.Contains($"signal {sig} ", message, StringComparison.Ordinal);
        if (sig != 0)
        {
            Assert.Contains("(SIGTERM)", message, StringComparison.Ordinal);
        }

        Assert.Contains("(kill)", message, StringComparison.Ordinal);
        Assert.Equal(0, await caller.WaitForExitAsync());

        // The target is alive and received nothing: it exits with 0.
        Os.Kill(target.Pid, 0);
        Assert.NotEqual('Z', ProcState.State(target.Pid));
        Assert.Equal(0, await target.FinishAsync());
        Assert.DoesNotContain(target.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public void Unused_pid_is_ProcessLookupException_naming_pid_signal_and_OS_text()
    {
        int pid = FreeIds.FindUnusedPid();
        int term = Signal.SIGTERM;
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Os.Kill(pid, term));

        Assert.Equal(3, e.Errno);
        Assert.Equal(pid, e.Pid);
        Assert.Equal(term, e.Signal);
        Assert.Equal("kill", e.Operation);
        Assert.Equal("No such process", e.OsMessage);
        Assert.Null(e.WinError);
        Assert.Contains($"pid {pid}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"signal {term} (SIGTERM)", e.Message, StringComparison.Ordinal);
        Assert.Contains("No such process", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("[Errno 3]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_HResult_is_a_failure_HRESULT_and_the_errno_stays_in_Errno()
    {
        int pid = FreeIds.FindUnusedPid();
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Os.Kill(pid, Signal.SIGTERM));

        // An HRESULT of 3 would read as success (S_FALSE-like): a failure is negative.
        Assert.True(e.HResult < 0, $"HResult 0x{e.HResult:X8}");
        Assert.Equal(unchecked((int)0x80004005), e.HResult);
        Assert.Equal(3, e.Errno);
        Assert.True(new OsException(22, "bad signal").HResult < 0);
        Assert.Equal(22, new OsException(22, "bad signal").Errno);
    }

    [Fact]
    public void Unused_process_group_is_ProcessLookupException_naming_the_group()
    {
        int pgid = FreeIds.FindUnusedPid();
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Os.Kill(-pgid, 0));

        Assert.Equal(3, e.Errno);
        Assert.Equal(-pgid, e.Pid);
        Assert.Equal(0, e.Signal);
        Assert.Equal("kill", e.Operation);
        Assert.Contains($"process group {pgid}", e.Message, StringComparison.Ordinal);
        Assert.Contains("No such process", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InvalidSignals))]
    public async Task Invalid_signal_is_a_plain_OsException_with_EINVAL_and_the_target_lives(int sig)
    {
        using Child target = await Child.StartAsync("catch", Num(Signal.SIGUSR1));

        // Assert.Throws wants the exact type: a plain OsException, not one of its subclasses.
        OsException e = Assert.Throws<OsException>(() => Os.Kill(target.Pid, sig));
        Assert.Equal(typeof(OsException), e.GetType());
        Assert.Equal(22, e.Errno);
        Assert.Equal(target.Pid, e.Pid);
        Assert.Equal(sig, e.Signal);
        Assert.Equal("kill", e.Operation);
        Assert.Equal("Invalid argument", e.OsMessage);
        Assert.Contains($"pid {target.Pid}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"signal {Num(sig)} ", e.Message, StringComparison.Ordinal);
        Assert.Contains("Invalid argument", e.Message, StringComparison.Ordinal);

        Os.Kill(target.Pid, 0);
        Assert.Equal(0, await target.FinishAsync());
        Assert.DoesNotContain(target.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }
}
