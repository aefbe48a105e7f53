using System.Diagnostics;

namespace OsKill.WindowsTests;

/// <summary>
/// ProcessContainer.StopAsync and Signal on Windows: Ctrl+C to each console member once, WM_CLOSE
/// to GUI members, the job terminated with an exit code at the last step, and the audit veto.
/// </summary>
internal static partial class TreeCases
{
    /// <summary>The polite step of a stop that must escalate: long enough for the console helper and the exit of the members that heed it, under a busy Wine.</summary>
    private static readonly TimeSpan ShortPolite = TimeSpan.FromSeconds(5);

    private static void RunContainerStopCases(Harness h)
    {
        Run(h, "container-stop-ctrl-c", ContainerStopCtrlC, Long);
        Run(h, "container-signal-console-once", ContainerSignalConsoleOnce, Long);
        Run(h, "container-stop-escalates", ContainerStopEscalates, Long);
        Run(h, "container-stop-mixed", ContainerStopMixed, Long);
        Run(h, "container-stop-during-kill", ContainerStopDuringKill, Long);
        Run(h, "container-signal-exit-code", ContainerSignalExitCode, Long);
        Run(h, "container-signal-veto", ContainerSignalVeto, Long);
        Run(h, "container-signal-refuses-outsiders", ContainerSignalRefusesOutsiders, Long);
        Run(h, "container-signal-ctrl-break", ContainerSignalCtrlBreak, Long);
        Run(h, "container-stop-wm-close", ContainerStopWmClose, Long);
    }

    /// <summary>Two console members, each on a console of its own: the default stop ends both at step 0 with Ctrl+C, each console reached once.</summary>
    private static void ContainerStopCtrlC()
    {
        using var container = new ProcessContainer();
        using Process a = StartContained(container, "ctrl-handler");
        using Process b = StartContained(container, "ctrl-handler");
        int[] pids = [a.Id, b.Id];
        using var members = new Members(pids);
        int driverC = Program.DriverCtrlC;

        ContainerStopResult r = container.StopAsync().GetAwaiter().GetResult();

        Info("container-stop-ctrl-c", $"{r.Outcome}, step {Fmt(r.StepIndex)}, {r.Elapsed.TotalMilliseconds:0} ms; {Describe(r)}");
        Check.True(r.Exited, $"the container did not empty: {Describe(r)}");
        Check.Equal<int?>(0, r.StepIndex, "the step that emptied the container (Ctrl+C)");
        Check.True(r.Members.All(m => m.StepIndex == 0), $"every member (console hosts too) ended at step 0: {Describe(r)}");
        CheckEndedAt(r, pids, 0);
        Check.True(r.Members.Single(m => m.Pid == a.Id).IsMain, $"the first started is the main process: {Describe(r)}");
        Check.Equal<int?>((int)ChildModes.GotCtrlC, r.MainExitStatus?.ExitCode, "the main process's exit code");
        foreach (int pid in pids)
        {
            Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(pid), $"exit code of member {pid} (130: its handler saw Ctrl+C)");
        }

        Check.Equal(string.Empty, Fmt(container.GetProcessIds()), "pids left in the container");
        Check.Equal(driverC, Program.DriverCtrlC, "Ctrl+C events seen by the driver");
    }

    /// <summary>
    /// Two members on one console (the second inherited it from the first): Signal(CTRL_C_EVENT)
    /// sends to that console once, and each member gets exactly one Ctrl+C; both are reached.
    /// </summary>
    private static void ContainerSignalConsoleOnce()
    {
        using var container = new ProcessContainer();
        using Process first = StartContained(container, "ctrl-count", "child");
        string line = ChildModes.WaitForLine(ReportOf(first), $"ready {first.Id} child ", TreeReady)
            ?? throw new TestFailure($"the ctrl-count child {first.Id} did not name its child: [{string.Join(" | ", ChildModes.ReadLines(ReportOf(first)))}]");
        int second = int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        using var members = new Members([first.Id, second]);
        Check.True(container.GetProcessIds().Contains(second), $"the second member {second} is not in the container: {Fmt(container.GetProcessIds())}");

        IReadOnlyList<int> reached = container.Signal(Signal.CTRL_C_EVENT);

        Info("container-signal-console-once", $"members {first.Id},{second}; reached {Fmt(reached)}");
        Check.Equal(Sorted([first.Id, second]), Sorted(reached), "the pids Ctrl+C reached (both, through the one console)");
        Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(first.Id), $"exit code of the first member (130: one Ctrl+C; 100 + N: N of them); report [{string.Join(" | ", ChildModes.ReadLines(ReportOf(first)))}]");
        Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(second), "exit code of the second member (130: one Ctrl+C; 100 + N: N of them)");
    }

    /// <summary>A member that ignores Ctrl+C ends at the last step with its exit code; the one that handles it, at step 0; the job is empty.</summary>
    private static void ContainerStopEscalates()
    {
        using var container = new ProcessContainer();
        using Process handling = StartContained(container, "ctrl-handler");
        using Process ignoring = StartContained(container, "tree", "0", "0", "ignore");
        using var members = new Members([ignoring.Id, handling.Id]);
        var options = new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, ShortPolite), StopStep.Terminate(77, Seen)]);

        ContainerStopResult r = container.StopAsync(options).GetAwaiter().GetResult();

        Info("container-stop-escalates", $"{r.Outcome}, step {Fmt(r.StepIndex)}, {r.Elapsed.TotalMilliseconds:0} ms; {Describe(r)}");
        Check.True(r.Exited, $"the container did not empty: {Describe(r)}");
        Check.Equal<int?>(1, r.StepIndex, "the step that emptied the container (exit code 77)");
        CheckEndedAt(r, [ignoring.Id], 1);
        CheckEndedAt(r, [handling.Id], 0);
        Check.Equal<uint?>(77, members.ExitCode(ignoring.Id), "exit code of the member that ignores Ctrl+C");
        Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(handling.Id), "exit code of the member that handles Ctrl+C");
        Check.Equal(string.Empty, Fmt(container.GetProcessIds()), "pids left in the container");
    }

    /// <summary>Mixed: only the main process gets Ctrl+C; once it has exited, the other member gets the last step at once.</summary>
    private static void ContainerStopMixed()
    {
        using var container = new ProcessContainer();
        using Process main = StartContained(container, "ctrl-handler");
        using Process other = StartContained(container, "ctrl-handler");
        using var members = new Members([main.Id, other.Id]);
        var options = new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, Seen), StopStep.Terminate(77, Seen)]);

        ContainerStopResult r = container.StopAsync(options, ContainerKillMode.Mixed).GetAwaiter().GetResult();

        Info("container-stop-mixed", $"{r.Outcome}, step {Fmt(r.StepIndex)}, {r.Elapsed.TotalMilliseconds:0} ms; {Describe(r)}");
        Check.Equal(main.Id, container.MainProcessId ?? 0, "MainProcessId");
        Check.True(r.Exited, $"the container did not empty: {Describe(r)}");
        Check.Equal(ContainerKillMode.Mixed, r.KillMode, "the kill mode of the result");
        CheckEndedAt(r, [main.Id], 0);
        CheckEndedAt(r, [other.Id], 1);
        Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(main.Id), "exit code of the main process (130: Ctrl+C)");
        Check.Equal<uint?>(77, members.ExitCode(other.Id), "exit code of the other member (77: the last step, no Ctrl+C)");
        Check.True(!ChildModes.ReadLines(ReportOf(other)).Any(l => l.StartsWith("got", StringComparison.Ordinal)), $"the other member saw an event: [{string.Join(" | ", ChildModes.ReadLines(ReportOf(other)))}]");
        Check.Equal(string.Empty, Fmt(container.GetProcessIds()), "pids left in the container");
    }

    /// <summary>
    /// A KillAsync while a stop waits in its long polite step: both waits (on the one completion
    /// port) end once the job is empty, the stop's long before its step's timeout.
    /// </summary>
    private static void ContainerStopDuringKill()
    {
        using var container = new ProcessContainer();
        using Process ignoring = StartContained(container, "tree", "0", "0", "ignore");
        using var members = new Members([ignoring.Id]);
        var options = new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, TimeSpan.FromSeconds(60)), StopStep.Terminate(77, Seen)]);
        var clock = Stopwatch.StartNew();
        Task<ContainerStopResult> stop = container.StopAsync(options);
        Thread.Sleep(1500);

        TreeKillResult killed = container.KillAsync().GetAwaiter().GetResult();

        Check.True(stop.Wait(TimeSpan.FromSeconds(15)), $"the stop was still waiting {clock.Elapsed.TotalSeconds:0.0} s after it started, with the container killed ({killed})");
        ContainerStopResult r = stop.Result;
        Info("container-stop-during-kill", $"{r.Outcome}, step {Fmt(r.StepIndex)}, {r.Elapsed.TotalMilliseconds:0} ms; {Describe(r)}; kill: {killed}");
        Check.True(r.Exited, $"the stop did not see the container empty: {Describe(r)}");
        Check.Equal<int?>(0, r.StepIndex, "the step during which the container emptied (the polite one, cut short by the kill)");
        Check.Equal<uint?>(0xFFFFFFFF, members.ExitCode(ignoring.Id), "exit code of the member (the kill's)");
        Check.Equal(string.Empty, Fmt(container.GetProcessIds()), "pids left in the container");
    }

    /// <summary>Signal(77) ends every member, console hosts too, with exit code 77, and returns them all.</summary>
    private static void ContainerSignalExitCode()
    {
        using var container = new ProcessContainer();
        using Process a = StartContained(container, "sleep");
        using Process b = StartContained(container, "sleep");
        List<int> listed = [.. container.GetProcessIds()];
        using var members = new Members(listed);

        IReadOnlyList<int> reached = container.Signal(77);

        Info("container-signal-exit-code", $"listed {Fmt(listed)}, reached {Fmt(reached)}");
        Check.Equal(Sorted(listed), Sorted(reached), "the pids Signal(77) reached");
        Check.True(reached.Contains(a.Id) && reached.Contains(b.Id), $"the members started are among those reached: {Fmt(reached)}");
        CheckExitCodes(members, listed, 77);
        Check.Equal(string.Empty, Fmt(container.GetProcessIds()), "pids left in the container");
    }

    /// <summary>A hook that vetoes one member's os.kill stops Signal from sending anything to any, for Ctrl+C and for an exit code alike; unvetoed, Ctrl+C reaches both.</summary>
    private static void ContainerSignalVeto()
    {
        using var container = new ProcessContainer();
        using Process a = StartContained(container, "ctrl-handler");
        using Process b = StartContained(container, "ctrl-handler");
        int[] pids = [a.Id, b.Id];
        using var members = new Members(pids);
        IReadOnlyList<int> listed = container.GetProcessIds();

        List<(int Pid, int Sig)> seen = Vetoed("ProcessContainer.Signal(CTRL_C_EVENT)", listed[^1], () => container.Signal(Signal.CTRL_C_EVENT));
        Check.Equal(Fmt(listed.Select(pid => (pid, 0))), Fmt(seen), "the events of the vetoed Signal(CTRL_C_EVENT) (every member listed, the vetoed one last)");
        seen = Vetoed("ProcessContainer.Signal(77)", listed[^1], () => container.Signal(77));
        Check.Equal(Fmt(listed.Select(pid => (pid, 77))), Fmt(seen), "the events of the vetoed Signal(77)");
        Thread.Sleep(1000);
        Check.Equal(Sorted(pids), Sorted(members.Alive()), "members alive after the vetoed signals");
        foreach (Process p in (Process[])[a, b])
        {
            Check.True(!ChildModes.ReadLines(ReportOf(p)).Any(l => l.StartsWith("got", StringComparison.Ordinal)), $"member {p.Id} saw an event after a veto: [{string.Join(" | ", ChildModes.ReadLines(ReportOf(p)))}]");
        }

        IReadOnlyList<int> reached = container.Signal(Signal.CTRL_C_EVENT);
        Info("container-signal-veto", $"listed {Fmt(listed)}; Ctrl+C reached {Fmt(reached)}");
        Check.Equal(Sorted(pids), Sorted(reached), "the pids Ctrl+C reached (the console hosts get nothing)");
        foreach (int pid in pids)
        {
            Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(pid), $"exit code of member {pid} (130: its handler saw Ctrl+C)");
        }
    }

    /// <summary>
    /// A member on the driver's console, which a process outside the container shares: Ctrl+C is
    /// refused before anything is sent (it would reach the outsider); with the outsider gone, it goes
    /// to the driver's console once, reaches the member, and the driver swallows its own copy.
    /// </summary>
    private static void ContainerSignalRefusesOutsiders()
    {
        using var container = new ProcessContainer();
        ProcessStartInfo psi = ContainedStartInfo("ctrl-handler", out string report);
        psi.CreateNoWindow = false;
        using Process member = container.Start(psi);
        using (var outsider = Child.Start("ctrl-handler"))
        {
            outsider.WaitReady();
            Check.True(ChildModes.WaitForLine(report, $"ready {member.Id}", TreeReady) is not null, $"the contained ctrl-handler child {member.Id} never became ready: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
            Check.True(Native.ConsoleProcesses().Contains((uint)member.Id), $"member {member.Id} is not on the driver's console");

            ArgumentException e = Check.Throws<ArgumentException>(() => container.Signal(Signal.CTRL_C_EVENT), "Signal(CTRL_C_EVENT) with a member on a console shared with a process outside the container");
            Info("container-signal-refuses-outsiders", e.Message);
            Check.True(e.Message.Contains(outsider.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), $"the refusal does not name the outsider {outsider.Pid}: {e.Message}");
            Thread.Sleep(500);
            Check.Equal(null, outsider.ExitCode, "the outsider's exit code");
            Check.True(!member.HasExited, $"member {member.Id} exited after the refusal: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
        }

        int driverC = Program.DriverCtrlC;
        IReadOnlyList<int> reached = container.Signal(Signal.CTRL_C_EVENT);
        Check.Equal(member.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Fmt(reached), "the pids Ctrl+C reached, the outsider gone");
        Check.True(member.WaitForExit(Seen), $"member {member.Id} still running after Ctrl+C: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
        Check.Equal((int)ChildModes.GotCtrlC, member.ExitCode, "exit code of the member (130: its handler saw Ctrl+C)");
        Check.Equal(driverC, Program.DriverCtrlC, "Ctrl+C events the driver's handler saw (its own copy is swallowed)");
    }

    /// <summary>Signal(CTRL_BREAK_EVENT) goes to each console member as Ctrl+Break (Wine 8 does not implement it: skipped there, with the error checked).</summary>
    private static void ContainerSignalCtrlBreak()
    {
        using var container = new ProcessContainer();
        using Process a = StartContained(container, "ctrl-handler");
        using var members = new Members([a.Id]);
        IReadOnlyList<int> reached;
        try
        {
            reached = container.Signal(Signal.CTRL_BREAK_EVENT);
        }
        catch (OsException e) when (Program.OnWine)
        {
            Check.True(e.Pid == a.Id && e.Signal == Signal.CTRL_BREAK_EVENT, $"the error does not name the pid and the event: Pid {e.Pid}, Signal {e.Signal}: {e.Message}");
            throw new TestSkipped($"Wine 8 does not implement CTRL_BREAK_EVENT; ProcessContainer.Signal reported it as {e.GetType().Name} (WinError {e.WinError}) naming pid {e.Pid}: {e.Message}");
        }

        Check.Equal(a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Fmt(reached), "the pids Ctrl+Break reached");
        Check.Equal<uint?>(ChildModes.GotCtrlBreak, members.ExitCode(a.Id), "exit code of the member (131: its handler saw Ctrl+Break)");
    }

    /// <summary>A GUI member (a visible top-level window) gets WM_CLOSE and no console event; a console member beside it gets Ctrl+C; both end at step 0.</summary>
    private static void ContainerStopWmClose()
    {
        using var container = new ProcessContainer();
        Process gui = container.Start(ContainedStartInfo("window", out string guiReport));
        using (gui)
        {
            string? line = WaitForAnyLine(guiReport, gui, ["ready ", "no window"]);
            if (line is null || line.StartsWith("no window", StringComparison.Ordinal))
            {
                throw new TestSkipped(
                    "the window child could not create a top-level window here (Wine with no display and its default graphics driver; " +
                    $@"Wine's null driver, HKCU\Software\Wine\Drivers Graphics=null set in the prefix before the run, creates windows): [{string.Join(" | ", ChildModes.ReadLines(guiReport))}]");
            }

            using Process console = StartContained(container, "ctrl-handler");
            using var members = new Members([gui.Id, console.Id]);

            ContainerStopResult r = container.StopAsync().GetAwaiter().GetResult();

            Info("container-stop-wm-close", $"{r.Outcome}, step {Fmt(r.StepIndex)}; {Describe(r)}; window child: [{string.Join(" | ", ChildModes.ReadLines(guiReport))}]");
            Check.True(r.Exited, $"the container did not empty: {Describe(r)}");
            CheckEndedAt(r, [gui.Id, console.Id], 0);
            Check.Equal<uint?>(0, members.ExitCode(gui.Id), "exit code of the window child (0: closed on WM_CLOSE)");
            string[] lines = ChildModes.ReadLines(guiReport);
            Check.True(lines.Contains("got wm-close"), $"the window child did not get WM_CLOSE: [{string.Join(" | ", lines)}]");
            Check.True(!lines.Any(l => l.StartsWith("got console event", StringComparison.Ordinal)), $"the window child got a console event: [{string.Join(" | ", lines)}]");
            Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(console.Id), "exit code of the console member (130: Ctrl+C)");
        }
    }

    /// <summary>Checks that each of <paramref name="pids"/> is in the result, ended by step <paramref name="step"/>.</summary>
    private static void CheckEndedAt(ContainerStopResult r, IEnumerable<int> pids, int step)
    {
        foreach (int pid in pids)
        {
            ContainerMemberResult? m = r.Members.FirstOrDefault(m => m.Pid == pid);
            Check.True(m is not null, $"member {pid} is not in the result: {Describe(r)}");
            Check.Equal<int?>(step, m!.StepIndex, $"the step that ended member {pid} ({Describe(r)})");
        }
    }

    private static string Describe(ContainerStopResult r) =>
        string.Join(", ", r.Members.Select(m => $"{m.Pid}{(m.IsMain ? "*" : "")}@{Fmt(m.StepIndex)}"));

    private static readonly Dictionary<int, string> s_reports = [];

    private static string ReportOf(Process p)
    {
        lock (s_reports)
        {
            return s_reports[p.Id];
        }
    }

    /// <summary>This executable in <paramref name="mode"/>, on a console of its own (CreateNoWindow).</summary>
    private static ProcessStartInfo ContainedStartInfo(string mode, out string report, params string[] extra)
    {
        report = Child.NewReportFile(mode + "-contained");
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, CreateNoWindow = true };
        psi.ArgumentList.Add(mode);
        psi.ArgumentList.Add(report);
        foreach (string e in extra)
        {
            psi.ArgumentList.Add(e);
        }

        return psi;
    }

    /// <summary>Starts this executable in <paramref name="mode"/> in the container, and waits until it is ready.</summary>
    private static Process StartContained(ProcessContainer container, string mode, params string[] extra)
    {
        Process p = container.Start(ContainedStartInfo(mode, out string report, extra));
        lock (s_reports)
        {
            s_reports[p.Id] = report;
        }

        if (ChildModes.WaitForLine(report, $"ready {p.Id}", TreeReady) is null)
        {
            throw new TestFailure($"the contained {mode} child {p.Id} never became ready: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
        }

        return p;
    }

    /// <summary>The first line that starts with one of <paramref name="prefixes"/>; null when none came before the child exited or <see cref="TreeReady"/> passed.</summary>
    private static string? WaitForAnyLine(string report, Process p, string[] prefixes)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string? line = ChildModes.ReadLines(report).FirstOrDefault(l => prefixes.Any(x => l.StartsWith(x, StringComparison.Ordinal)));
            if (line is not null || p.HasExited || clock.Elapsed > TreeReady)
            {
                return line ?? ChildModes.ReadLines(report).FirstOrDefault(l => prefixes.Any(x => l.StartsWith(x, StringComparison.Ordinal)));
            }

            Thread.Sleep(25);
        }
    }
}
