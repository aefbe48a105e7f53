using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OsKill.Tests;

/// <summary>
/// Os.PidfdOpen, Os.Kill(SafeHandle, sig) and Signal.PidfdSendSignal against real processes: a
/// pidfd names one process, survives its exit as a zombie, fails with ESRCH once it is reaped, and
/// never reaches another process that was given the same pid.
/// </summary>
public partial class PidfdTests
{
    // No Linux pid can exceed PID_MAX_LIMIT (4194304), so this one never exists.
    private const int NoSuchPid = 0x7AD0_0001;

    private static int SigUsr1 => Signal.SIGUSR1;

    private static int SigUsr2 => Signal.SIGUSR2;

    [Fact]
    public async Task Os_Kill_through_a_pidfd_reaches_the_child()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Pid);
        Assert.False(pidfd.IsInvalid);
        Assert.Equal(child.Pid, pidfd.Pid);

        Os.Kill(pidfd, SigUsr1);

        await child.WaitForLineAsync($"got {SigUsr1}");
        Assert.Equal(SigUsr1, await child.FinishAsync());
    }

    [Fact]
    public async Task PidfdSendSignal_reaches_the_child()
    {
        using Child child = await Child.StartAsync("catch", "USR2");
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Pid);

        Signal.PidfdSendSignal(pidfd, SigUsr2);

        await child.WaitForLineAsync($"got {SigUsr2}");
        Assert.Equal(SigUsr2, await child.FinishAsync());
    }

    [Fact]
    public async Task Signal_zero_through_a_pidfd_succeeds_on_a_live_process_and_sends_nothing()
    {
        using Child child = await Child.StartAsync("catch", "USR1", "USR2");
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Pid);

        Assert.Null(Record.Exception(() => Os.Kill(pidfd, 0)));
        Assert.Null(Record.Exception(() => Signal.PidfdSendSignal(pidfd, 0)));

        Assert.Equal(0, await child.FinishAsync());
        Assert.DoesNotContain(child.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_zombie_can_be_signalled_through_its_pidfd_until_it_is_reaped()
    {
        // .NET's Process reaps its own children at once, so the child runs under sh instead. sh
        // keeps its stdin on fd 3 for the background child (dash gives a background job /dev/null),
        // then sits in the read builtin, which reaps nothing: the killed child stays a zombie until
        // we close stdin and `wait` reaps it.
        const string Script = "exec 3<&0; \"$@\" <&3 3<&- & exec 3<&-; read -r line; wait";
        using Child child = await Child.StartWrappedAsync(["sh", "-c", Script, "sh"], ["sleep"]);
        Assert.NotEqual(child.Process.Id, child.Pid);
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Pid);

        Os.Kill(pidfd, Signal.SIGKILL);
        Assert.Equal('Z', await ProcState.WaitForStateAsync(child.Pid, s => s == 'Z'));

        Os.Kill(pidfd, 0);
        Signal.PidfdSendSignal(pidfd, 0);
        Os.Kill(pidfd, Signal.SIGTERM);
        Assert.Equal('Z', ProcState.State(child.Pid));

        child.CloseInput();
        Assert.Equal(0, await child.WaitForExitAsync());

        ProcessLookupException viaKill = Assert.Throws<ProcessLookupException>(() => Os.Kill(pidfd, 0));
        Assert.Equal(3, viaKill.Errno);
        Assert.Equal(child.Pid, viaKill.Pid);
        Assert.Equal("pidfd_send_signal", viaKill.Operation);
        ProcessLookupException viaSend = Assert.Throws<ProcessLookupException>(() => Signal.PidfdSendSignal(pidfd, SigUsr1));
        Assert.Equal(3, viaSend.Errno);
        Assert.Equal(SigUsr1, viaSend.Signal);
    }

    [Fact]
    public async Task After_the_child_is_reaped_the_pidfd_gives_ProcessLookupException()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Pid);

        // WaitForExitAsync returns once .NET has reaped the child.
        Assert.Equal(0, await child.FinishAsync());

        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Os.Kill(pidfd, SigUsr1));
        Assert.Equal(3, e.Errno);
        Assert.Equal(child.Pid, e.Pid);
        Assert.Equal(SigUsr1, e.Signal);
        Assert.StartsWith("[Errno 3] ", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, Assert.Throws<ProcessLookupException>(() => Signal.PidfdSendSignal(pidfd, 0)).Errno);
    }

    [Fact]
    public void A_descriptor_that_is_not_a_pidfd_gives_EBADF()
    {
        string path = Path.GetTempFileName();
        try
        {
            using SafeFileHandle file = File.OpenHandle(path);

            // A SafeFileHandle is a SafeHandle: the kernel itself refuses the descriptor.
            OsException direct = Assert.Throws<OsException>(() => Os.Kill(file, 0));
            Assert.Equal(9, direct.Errno);
            Assert.Equal("pidfd_send_signal", direct.Operation);

            // The same descriptor wrapped as if it were a pidfd, without taking ownership.
            using (var wrapped = new SafePidfdHandle((int)file.DangerousGetHandle(), -1, ownsHandle: false))
            {
                Assert.Equal(9, Assert.Throws<OsException>(() => Signal.PidfdSendSignal(wrapped, 0)).Errno);
                Assert.Equal(9, Assert.Throws<OsException>(() => Os.Kill(wrapped, 0)).Errno);
            }

            // Disposing the non-owning wrapper left the file open.
            Assert.False(file.IsClosed);
            Assert.Equal(0, RandomAccess.GetLength(file));

            // An invalid handle (-1) is a bad descriptor too.
            using var invalid = new SafePidfdHandle();
            Assert.Equal(9, Assert.Throws<OsException>(() => Os.Kill(invalid, 0)).Errno);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Unknown_flags_give_EINVAL_and_send_nothing()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Pid);

        // Linux 6.9 gave meaning to flags 1, 2 and 4 (PIDFD_SIGNAL_*); bit 20 is unknown everywhere.
        OsException e = Assert.Throws<OsException>(() => Signal.PidfdSendSignal(pidfd, SigUsr1, 1u << 20));
        Assert.Equal(22, e.Errno);
        Assert.Equal("pidfd_send_signal", e.Operation);

        Assert.Equal(0, await child.FinishAsync());
        Assert.DoesNotContain(child.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_disposed_handle_gives_ObjectDisposedException()
    {
        SafePidfdHandle pidfd = Os.PidfdOpen(Environment.ProcessId);
        Os.Kill(pidfd, 0);
        pidfd.Dispose();
        Assert.True(pidfd.IsClosed);

        Assert.Throws<ObjectDisposedException>(() => Os.Kill(pidfd, 0));
        Assert.Throws<ObjectDisposedException>(() => Signal.PidfdSendSignal(pidfd, 0));
    }

    [Fact]
    public async Task A_SafeProcessHandle_is_rejected_and_the_child_receives_nothing()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        SafeProcessHandle handle = child.Process.SafeHandle;
        long raw = handle.DangerousGetHandle();

        // On Unix the value is not a descriptor (on .NET 8 and 10 it is a small runtime handle
        // number, such as 280, neither the pid nor an open fd). A trap for a library that took it
        // for one: put a pidfd for the child at that descriptor number when the number is usable
        // (fcntl never replaces an open descriptor), so the mistake would signal the child.
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Pid);
        int trap = raw is > 2 and < int.MaxValue ? FcntlDupFd(pidfd.FileDescriptor, F_DUPFD_CLOEXEC, (int)raw) : -1;
        try
        {
            if (trap >= 0 && trap != raw)
            {
                _ = CloseFd(trap);
                trap = -1;
            }

            ArgumentException viaKill = Assert.Throws<ArgumentException>(() => Os.Kill(handle, SigUsr1));
            Assert.Contains("SafeProcessHandle", viaKill.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => Signal.PidfdSendSignal(handle, SigUsr1));
        }
        finally
        {
            if (trap >= 0)
            {
                _ = CloseFd(trap);
            }
        }

        Assert.False(handle.IsClosed);
        Assert.Equal(0, await child.FinishAsync());
        Assert.DoesNotContain(child.Seen, l => l.StartsWith("got ", StringComparison.Ordinal));
    }

    [Fact]
    public void PidfdOpen_of_a_pid_that_does_not_exist_gives_ProcessLookupException()
    {
        ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Os.PidfdOpen(NoSuchPid));
        Assert.Equal(3, e.Errno);
        Assert.Equal(NoSuchPid, e.Pid);
        Assert.Equal("pidfd_open", e.Operation);

        // Pids run from 1 to pid_max - 1, so pid_max itself never exists either.
        int pidMax = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), CultureInfo.InvariantCulture);
        Assert.Equal(3, Assert.Throws<ProcessLookupException>(() => Os.PidfdOpen(pidMax)).Errno);
    }

    [Fact]
    public async Task A_signal_through_the_pidfd_never_reaches_a_process_that_reused_the_pid()
    {
        using Child a = await Child.StartAsync("catch", "USR1", "USR2");
        int pid = a.Pid;

        // The dotnet host runs the app in the process we forked (no extra fork), so the pid the
        // kernel hands out right after ns_last_pid is the test child's own.
        Assert.Equal(a.Process.Id, pid);
        using SafePidfdHandle pidfdOfA = Os.PidfdOpen(pid);
        Os.Kill(pidfdOfA, 0);
        Assert.Equal(0, await a.FinishAsync());

        // A is reaped and its pid is free: make the kernel hand that pid to B.
        Child? b = null;
        try
        {
            b = await PidReuse.StartChildOnPidAsync(pid, "catch", "USR1", "USR2");
            Assert.Equal(b.Process.Id, b.Pid);

            // Through A's pidfd: A is gone, and B, which now has A's pid, must not be signalled.
            ProcessLookupException e = Assert.Throws<ProcessLookupException>(() => Os.Kill(pidfdOfA, SigUsr1));
            Assert.Equal(3, e.Errno);
            Assert.Equal(pid, e.Pid);
            Assert.Throws<ProcessLookupException>(() => Signal.PidfdSendSignal(pidfdOfA, SigUsr1));
            Assert.Throws<ProcessLookupException>(() => Os.Kill(pidfdOfA, 0));

            // Control: by pid, a signal does reach B, so the pid really was reused. B exits with the
            // first signal it received: USR2, had USR1 reached it, it would have come first.
            Os.Kill(pid, SigUsr2);
            await b.WaitForLineAsync($"got {SigUsr2}");
            Assert.Equal(SigUsr2, await b.FinishAsync());
            Assert.DoesNotContain($"got {SigUsr1}", b.Seen);
        }
        finally
        {
            b?.Dispose();
        }
    }

    private const int F_DUPFD_CLOEXEC = 1030;

    /// <summary>fcntl(fd, F_DUPFD_CLOEXEC, min): the lowest free descriptor at or above min; it never replaces an open one.</summary>
    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int FcntlDupFd(int fd, int command, int min);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseFd(int fd);
}
