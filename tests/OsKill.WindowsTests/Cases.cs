using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OsKill.WindowsTests;

/// <summary>The cases, in the order they run. Each one is a plain method, called directly.</summary>
internal static class Cases
{
    /// <summary>A pid that names no process: Windows and Wine hand out small multiples of 4.</summary>
    private const int NoSuchPid = 0x3FFFFFFC;

    private static readonly TimeSpan Seen = TimeSpan.FromSeconds(10);

    /// <summary>How long to watch for an event that must not arrive.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1.5);

    internal static void RunAll(Harness h)
    {
        h.Run("constants", Constants);
        h.Run("valid-signals", ValidSignals);
        h.Run("strsignal", StrSignal);
        // These call, on purpose, what CA1416 says is not there on Windows.
#pragma warning disable CA1416
        h.Run("killpg-unsupported", () => Unsupported("Os.KillPg", () => Os.KillPg(1234, 15)));
        h.Run("pthread-kill-unsupported", () => Unsupported("Signal.PthreadKill", () => Signal.PthreadKill(1, 15)));
        h.Run("current-thread-id-unsupported", () => Unsupported("Signal.CurrentThreadId", () => _ = Signal.CurrentThreadId));
        h.Run("pidfd-open-unsupported", () => Unsupported("Os.PidfdOpen", () => Os.PidfdOpen(Environment.ProcessId).Dispose()));
#pragma warning restore CA1416
        h.Run("pidfd-send-signal-unsupported", PidfdSendSignalUnsupported);

        foreach (int sig in new[] { 15, 42, 100, -1 })
        {
            h.Run($"terminate-exit-code-{(sig < 0 ? "minus" + (-sig) : sig.ToString(System.Globalization.CultureInfo.InvariantCulture))}", () => TerminateExitCode(sig));
        }

        h.Run("nonexistent-pid", NonexistentPid);
        h.Run("access-denied", AccessDenied);
        h.Run("handle-kill", HandleKill);
        h.Run("handle-kill-not-a-process", HandleKillNotAProcess);
        h.Run("exited-process", ExitedProcess);
        h.Run("audit-veto", AuditVeto);

        h.Run("ctrl-c-to-process-group", CtrlCToProcessGroup);
        h.Run("ctrl-c-ignored-by-new-group", CtrlCIgnoredByNewGroup);
        h.Run("ctrl-c-to-group-0", CtrlCToGroup0);
        h.Run("ctrl-break-to-process-group", CtrlBreakToProcessGroup);

        h.Run("send-ctrl-c-new-console", SendCtrlCNewConsole, TimeSpan.FromSeconds(30));
        h.Run("send-ctrl-c-same-console", () => SendCtrlCSameConsole(newGroup: false));
        h.Run("send-ctrl-c-same-console-other-group", () => SendCtrlCSameConsole(newGroup: true));
        h.Run("send-ctrl-break-new-console", SendCtrlBreakNewConsole, TimeSpan.FromSeconds(30));
        h.Run("send-nonexistent-pid", SendNonexistentPid);

        TreeCases.RunAll(h);
    }

    private static void Constants()
    {
        (string Name, Func<int> Get, int Expected)[] table =
        [
            ("SIGINT", () => Signal.SIGINT, 2),
            ("SIGILL", () => Signal.SIGILL, 4),
            ("SIGFPE", () => Signal.SIGFPE, 8),
            ("SIGSEGV", () => Signal.SIGSEGV, 11),
            ("SIGTERM", () => Signal.SIGTERM, 15),
            ("SIGBREAK", () => Signal.SIGBREAK, 21),
            ("SIGABRT", () => Signal.SIGABRT, 22),
            ("CTRL_C_EVENT", () => Signal.CTRL_C_EVENT, 0),
            ("CTRL_BREAK_EVENT", () => Signal.CTRL_BREAK_EVENT, 1),
            ("NSIG", () => Signal.NSIG, 23),
        ];
        foreach ((string name, Func<int> get, int expected) in table)
        {
            Check.Equal(expected, get(), name);
        }

        // A POSIX-only signal must throw, never fall back to its Linux number.
        _ = Check.Throws<PlatformNotSupportedException>(() => _ = Signal.SIGKILL, "Signal.SIGKILL on Windows");
        _ = Check.Throws<PlatformNotSupportedException>(() => _ = Signal.SIGUSR1, "Signal.SIGUSR1 on Windows");
        Check.Equal(21, Signal.Parse("break"), "Signal.Parse(\"break\")");
        Check.Equal("TERM", Signal.Name(15), "Signal.Name(15)");
    }

    private static void ValidSignals()
    {
        string actual = string.Join(",", Signal.ValidSignals());
        Check.Equal("2,4,8,11,15,21,22", actual, "Signal.ValidSignals()");
    }

    private static void StrSignal()
    {
        Check.Equal("Interrupt", Signal.StrSignal(2), "StrSignal(2)");
        Check.Equal("Terminated", Signal.StrSignal(15), "StrSignal(15)");
        Check.Equal(null, Signal.StrSignal(21), "StrSignal(21)");
        _ = Check.Throws<ArgumentOutOfRangeException>(() => Signal.StrSignal(0), "StrSignal(0)");
        _ = Check.Throws<ArgumentOutOfRangeException>(() => Signal.StrSignal(23), "StrSignal(23)");
    }

    private static void Unsupported(string api, Action call)
    {
        PlatformNotSupportedException e = Check.Throws<PlatformNotSupportedException>(call, api);
        Check.True(e.Message.Length > 0, $"{api}: the exception has no message");
    }

    private static void PidfdSendSignalUnsupported()
    {
        // A real handle that is not a process: nothing can be signalled through it.
        using var ev = new EventWaitHandle(false, EventResetMode.ManualReset);
#pragma warning disable CA1416 // on purpose: it must throw on Windows
        Unsupported("Signal.PidfdSendSignal", () => Signal.PidfdSendSignal(ev.SafeWaitHandle, 15));
#pragma warning restore CA1416
    }

    private static void TerminateExitCode(int sig)
    {
        using var c = Child.Start("sleep");
        c.WaitReady();
        Os.Kill(c.Pid, sig);
        uint code = c.WaitExitOrFail(Seen);
        Check.Equal(unchecked((uint)sig), code, $"exit code after Os.Kill({c.Pid}, {sig})");
        Check.Equal(sig, c.Process.ExitCode, "Process.ExitCode");
    }

    private static void NonexistentPid()
    {
        ProcessLookupException e = Check.Throws<ProcessLookupException>(() => Os.Kill(NoSuchPid, 15), $"Os.Kill({NoSuchPid}, 15)");
        Check.Equal<int?>(87, e.WinError, "WinError");
        Check.Equal<int?>(NoSuchPid, e.Pid, "Pid");
        Check.Equal<int?>(15, e.Signal, "Signal");
    }

    private static void AccessDenied()
    {
        if (Program.OnWine)
        {
            throw new TestSkipped("Wine denies nothing here: OpenProcess(PROCESS_TERMINATE) succeeds on every process of the prefix (services, winedevice, rpcss...), and there is no System process (pid 4 is 'no such process'); on Windows this case uses pid 4");
        }

        PermissionDeniedException e = Check.Throws<PermissionDeniedException>(() => Os.Kill(4, 15), "Os.Kill(4 (System), 15)");
        Check.Equal<int?>(5, e.WinError, "WinError");
    }

    private static void HandleKill()
    {
        using var c = Child.Start("sleep");
        c.WaitReady();
        SafeProcessHandle handle = c.Process.SafeHandle;
        Os.Kill(handle, 77);
        uint code = c.WaitExitOrFail(Seen);
        Check.Equal(77u, code, "exit code after Os.Kill(Process.SafeHandle, 77)");
        Check.Equal(77, c.Process.ExitCode, "Process.ExitCode");
        Check.True(!handle.IsClosed, "Os.Kill closed the caller's handle");
    }

    private static void HandleKillNotAProcess()
    {
        using var ev = new EventWaitHandle(false, EventResetMode.ManualReset);
        OsException e = Check.Throws<OsException>(() => Os.Kill(ev.SafeWaitHandle, 15), "Os.Kill(an event handle, 15)");
        Check.True(e is not ProcessLookupException, $"an event handle is not 'no such process': {e.Message}");
        Check.True(e.WinError is not null, $"no WinError in {e.Message}");
    }

    private static void ExitedProcess()
    {
        using var c = Child.Start("exit", false, "7");
        Check.Equal(7u, c.WaitExitOrFail(Seen), "exit code of the exit child");

        // Our handle keeps the exited process's pid alive: OpenProcess still succeeds.
        ProcessLookupException byPid = Check.Throws<ProcessLookupException>(() => Os.Kill(c.Pid, 15), "Os.Kill(exited pid, 15) while a handle is held");
        Check.Equal<int?>(c.Pid, byPid.Pid, "Pid");
        _ = Check.Throws<ProcessLookupException>(() => Os.Kill(c.Process.SafeHandle, 15), "Os.Kill(handle of exited process, 15)");
        Check.Equal(7u, c.ExitCode, "exit code after the kills");

        // Released: OpenProcess on it keeps succeeding for about 0.5 s under Wine, then fails with 87.
        int pid = c.Pid;
        c.Dispose();
        _ = Check.Throws<ProcessLookupException>(() => Os.Kill(pid, 15), "Os.Kill(exited pid, 15) right after the last handle was closed");
        Thread.Sleep(1000);
        ProcessLookupException later = Check.Throws<ProcessLookupException>(() => Os.Kill(pid, 15), "Os.Kill(exited pid, 15) 1 s after the last handle was closed");
        Check.Equal<int?>(87, later.WinError, "WinError once the pid is gone");
    }

    private sealed class VetoException(string message) : Exception(message);

    private static int s_vetoPid = -1;
    private static SafeHandle? s_vetoHandle;
    private static readonly List<string> s_auditLog = [];

    private static void AuditVeto()
    {
        Check.True(
            Audit.AddHook((evt, args) =>
            {
                if (evt != "os.kill")
                {
                    return;
                }

                lock (s_auditLog)
                {
                    s_auditLog.Add($"{evt}({string.Join(", ", args.Select(a => a is SafeHandle ? "handle" : a?.ToString()))})");
                }

                if ((args[0] is int pid && pid == s_vetoPid) || (args[0] is SafeHandle sh && ReferenceEquals(sh, s_vetoHandle)))
                {
                    throw new VetoException($"vetoed os.kill({args[0]}, {args[1]})");
                }
            }),
            "Audit.AddHook returned false");

        using var c = Child.Start("sleep");
        c.WaitReady();

        s_vetoPid = c.Pid;
        VetoException byPid = Check.Throws<VetoException>(() => Os.Kill(c.Pid, 15), "Os.Kill(pid, 15) with a vetoing hook");
        Check.True(byPid.Message.Contains($"os.kill({c.Pid}, 15)", StringComparison.Ordinal), $"the hook's exception was changed: {byPid.Message}");

        s_vetoHandle = c.Process.SafeHandle;
        _ = Check.Throws<VetoException>(() => Os.Kill(c.Process.SafeHandle, 15), "Os.Kill(handle, 15) with a vetoing hook");

        Thread.Sleep(300);
        Check.Equal(null, c.ExitCode, "the child's exit code after two vetoed kills");

        // A failing call still raises the event first.
        _ = Check.Throws<ProcessLookupException>(() => Os.Kill(NoSuchPid, 15), "Os.Kill(no such pid)");

        s_vetoPid = -1;
        s_vetoHandle = null;
        Os.Kill(c.Pid, 15);
        Check.Equal(15u, c.WaitExitOrFail(Seen), "exit code once the hook lets the kill through");

        string log;
        lock (s_auditLog)
        {
            log = string.Join("; ", s_auditLog);
        }

        string expected = $"os.kill({c.Pid}, 15); os.kill(handle, 15); os.kill({NoSuchPid}, 15); os.kill({c.Pid}, 15)";
        Check.Equal(expected, log, "audit events");
    }

    // Under Wine, CTRL_C_EVENT to a nonzero group reaches exactly that group. Microsoft's
    // documentation says Windows drops it; this case has been run under Wine only.
    private static void CtrlCToProcessGroup()
    {
        using var c = Child.Start("ctrl-handler", newProcessGroup: true);
        c.WaitReady();
        int driverBefore = Program.DriverCtrlC;
        Os.Kill(c.Pid, Signal.CTRL_C_EVENT);
        Check.True(c.WaitReport("got ctrl-c", Seen), $"{c.Description} did not see Ctrl+C sent to its group: exit code {Child.Fmt(c.ExitCode)}, report [{c.Report}]");
        Check.Equal((uint)ChildModes.GotCtrlC, c.WaitExitOrFail(Seen), "exit code");
        Thread.Sleep(300);
        Check.Equal(driverBefore, Program.DriverCtrlC, "Ctrl+C events seen by the driver, which is not in that group");
    }

    private static void CtrlCIgnoredByNewGroup()
    {
        using var c = Child.Start("ctrl-handler", newProcessGroup: true, "keep-ignore");
        c.WaitReady();
        Os.Kill(c.Pid, Signal.CTRL_C_EVENT);
        Check.True(!c.WaitReport("got", Grace), $"{c.Description} saw Ctrl+C without re-enabling it: report [{c.Report}]");
        Check.Equal(null, c.ExitCode, "exit code of the child that ignores Ctrl+C");
    }

    private static void CtrlCToGroup0()
    {
        // Group 0 is every process on our console (Windows), or our own group (Wine): either way
        // the driver and a child in its group. The driver's handler swallows it.
        using var c = Child.Start("ctrl-handler");
        c.WaitReady();
        int driverBefore = Program.DriverCtrlC;
        Os.Kill(0, Signal.CTRL_C_EVENT);
        Check.True(c.WaitReport("got ctrl-c", Seen), $"{c.Description} did not see Ctrl+C sent to group 0: report [{c.Report}]");
        Check.Equal((uint)ChildModes.GotCtrlC, c.WaitExitOrFail(Seen), "exit code");
        for (int i = 0; i < 100 && Program.DriverCtrlC == driverBefore; i++)
        {
            Thread.Sleep(50);
        }

        Check.Equal(driverBefore + 1, Program.DriverCtrlC, "Ctrl+C events seen by the driver's own handler");
    }

    private static void CtrlBreakToProcessGroup()
    {
        using var c = Child.Start("ctrl-handler", newProcessGroup: true);
        c.WaitReady();
        try
        {
            Os.Kill(c.Pid, Signal.CTRL_BREAK_EVENT);
        }
        catch (OsException e) when (Program.OnWine)
        {
            throw WineHasNoCtrlBreak(e);
        }

        Check.True(c.WaitReport("got ctrl-break", Seen), $"{c.Description} did not see Ctrl+Break sent to its group (no error was reported): report [{c.Report}]");
        Check.Equal((uint)ChildModes.GotCtrlBreak, c.WaitExitOrFail(Seen), "exit code");
    }

    private static void SendCtrlCNewConsole()
    {
        using var target = Child.StartOnNewConsole("ctrl-handler");
        using var control = Child.StartOnNewConsole("ctrl-handler");
        target.WaitReady();
        control.WaitReady();
        int driverC = Program.DriverCtrlC, driverBreak = Program.DriverCtrlBreak;

        ConsoleControl.Send(target.Pid, ConsoleEvent.CtrlC);

        Check.True(target.WaitReport("got ctrl-c", Seen), $"{target.Description} did not see Ctrl+C: exit code {Child.Fmt(target.ExitCode)}, report [{target.Report}]");
        Check.Equal((uint)ChildModes.GotCtrlC, target.WaitExitOrFail(Seen), "target's exit code");
        Check.True(!control.WaitReport("got", Grace), $"the control child on another console saw it: [{control.Report}]");
        Check.Equal(null, control.ExitCode, "the control child's exit code");
        Check.Equal(driverC, Program.DriverCtrlC, "Ctrl+C events seen by the driver");
        Check.Equal(driverBreak, Program.DriverCtrlBreak, "Ctrl+Break events seen by the driver");
    }

    private static void SendCtrlCSameConsole(bool newGroup)
    {
        using var c = Child.Start("ctrl-handler", newProcessGroup: newGroup);
        c.WaitReady();
        int driverBefore = Program.DriverCtrlC;

        ConsoleControl.Send(c.Pid, ConsoleEvent.CtrlC);

        // Delivered, it arrives in well under a second; under Wine the other group never gets it.
        if (!c.WaitReport("got ctrl-c", newGroup && Program.OnWine ? TimeSpan.FromSeconds(3) : Seen))
        {
            if (newGroup && Program.OnWine)
            {
                throw new TestSkipped("under Wine, GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0) reaches only the caller's own process group, not every process on the console");
            }

            throw new TestFailure($"{c.Description} did not see Ctrl+C: exit code {Child.Fmt(c.ExitCode)}, report [{c.Report}]");
        }

        Check.Equal((uint)ChildModes.GotCtrlC, c.WaitExitOrFail(Seen), "exit code");
        Thread.Sleep(500);
        Check.Equal(driverBefore, Program.DriverCtrlC, "Ctrl+C events that reached the driver's own handler (the caller must not be interrupted)");
    }

    private static void SendCtrlBreakNewConsole()
    {
        using var target = Child.StartOnNewConsole("ctrl-handler");
        target.WaitReady();
        try
        {
            ConsoleControl.Send(target.Pid, ConsoleEvent.CtrlBreak);
        }
        catch (OsException e) when (Program.OnWine)
        {
            throw WineHasNoCtrlBreak(e);
        }

        Check.True(target.WaitReport("got ctrl-break", Seen), $"{target.Description} did not see Ctrl+Break (no error was reported): report [{target.Report}]");
        Check.Equal((uint)ChildModes.GotCtrlBreak, target.WaitExitOrFail(Seen), "exit code");
    }

    private static void SendNonexistentPid()
    {
        OsException e = Check.Throws<OsException>(() => ConsoleControl.Send(NoSuchPid, ConsoleEvent.CtrlC), $"ConsoleControl.Send({NoSuchPid}, CtrlC)");
        CarriesWinError(e);
        if (e is ProcessLookupException)
        {
            return;
        }

        // Windows' AttachConsole says 87 for a pid that names no process; Wine's says 6.
        if (Program.OnWine && e.WinError == 6)
        {
            throw new TestSkipped($"Wine's AttachConsole fails with ERROR_INVALID_HANDLE (6), not ERROR_INVALID_PARAMETER (87), for a pid that does not exist, and OsKill maps only 87 to ProcessLookupException: {e.Message}");
        }

        throw new TestFailure($"expected ProcessLookupException, got {e.GetType().Name} (WinError {e.WinError}): {e.Message}");
    }

    /// <summary>An error from OsKill carries the Win32 error code, the pid and the event, not only a message.</summary>
    private static void CarriesWinError(OsException e)
    {
        Check.True(e.WinError is not null, $"{e.GetType().Name} has no WinError (the code is only in its message): {e.Message}");
        Check.True(e.Pid is not null && e.Signal is not null, $"{e.GetType().Name} has no Pid or Signal: {e.Message}");
    }

    /// <summary>Wine 8 does not implement CTRL_BREAK_EVENT; OsKill must still say so with an exception that carries the error.</summary>
    private static TestSkipped WineHasNoCtrlBreak(OsException e)
    {
        CarriesWinError(e);
        return new TestSkipped($"Wine 8 does not implement CTRL_BREAK_EVENT (GenerateConsoleCtrlEvent fails with WinError {e.WinError}); OsKill reported it as {e.GetType().Name}: {e.Message}");
    }
}
