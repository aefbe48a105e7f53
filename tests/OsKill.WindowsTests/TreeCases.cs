using System.Diagnostics;
using System.Globalization;

namespace OsKill.WindowsTests;

/// <summary>
/// The tree kill, tree stop and process container cases: real process trees of this same
/// executable (see <see cref="ChildModes"/>), with every member's handle opened by the driver as soon
/// as the tree reports it, so that exit codes can be read and no pid is reused behind the checks.
/// </summary>
internal static partial class TreeCases
{
    private static readonly TimeSpan Seen = TimeSpan.FromSeconds(10);

    /// <summary>How long a tree of .NET processes may take to start under a busy Wine.</summary>
    private static readonly TimeSpan TreeReady = TimeSpan.FromSeconds(25);

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    internal static void RunAll(Harness h)
    {
        Run(h, "nt-suspend-process", NtSuspendProcess);
        Run(h, "tree-refusals", Refusals, TimeSpan.FromSeconds(30));
        Run(h, "tree-kill", TreeKill, Long);
        Run(h, "tree-kill-forking", TreeKillForking, Long);
        Run(h, "tree-kill-exited-root", TreeKillExitedRoot, Long);
        Run(h, "escaped-grandchild", EscapedGrandchild, Long);
        Run(h, "container-add-dispose", ContainerAddDispose);
        Run(h, "tree-stop-ctrl-c", TreeStopCtrlC, Long);
        Run(h, "tree-stop-escalates", TreeStopEscalates, Long);
        Run(h, "tree-stop-refuses-outsiders", TreeStopRefusesOutsiders, Long);
        Run(h, "tree-stop-ctrl-break", TreeStopCtrlBreak, Long);
        RunSafetyCases(h);
        RunHeldOrphanCases(h);
        RunConsoleHostCases(h);
        RunContainerStopCases(h);
        RunOskillRunCases(h);
        RunHostingCases(h);
    }

    /// <summary>Runs a case, then ends every process of this executable that it left running (a failed case can leave a tree).</summary>
    private static void Run(Harness h, string name, Action body, TimeSpan? limit = null) => h.Run(
        name,
        () =>
        {
            HashSet<int> before = OurProcesses();
            try
            {
                body();
            }
            finally
            {
                // Again while there were any: a stray may start a process while the one before is ended.
                for (int pass = 0; pass < 3; pass++)
                {
                    using var strays = new Members(OurProcesses().Where(pid => !before.Contains(pid)), mustOpen: false);
                    if (strays.Count == 0)
                    {
                        break;
                    }
                }
            }
        },
        limit);

    /// <summary>Prints a measurement under the case's result line.</summary>
    private static void Info(string name, string text) => Console.WriteLine($"  {name}: {text}");

    private static void NtSuspendProcess()
    {
        using var c = Child.Start("counter");
        c.WaitReady();
        Check.True(ChildModes.WaitForLine(c.ReportFile, "count 5", Seen) is not null, $"{c.Description} does not count: [{c.Report}]");
        int status = Native.NtSuspendProcess(c.Handle);
        if (status != 0)
        {
            throw new TestSkipped($"NtSuspendProcess returned NTSTATUS 0x{status:X8}: the tree kill cannot freeze here and falls back to terminate-and-walk-again");
        }

        Thread.Sleep(300);
        int before = LastCount(c);
        Thread.Sleep(700);
        int during = LastCount(c);
        Check.Equal(0, Native.NtResumeProcess(c.Handle), "NtResumeProcess");
        Thread.Sleep(500);
        int after = LastCount(c);
        Check.Equal(before, during, "the count while suspended (it must not move)");
        Check.True(after > during, $"the count did not move after NtResumeProcess: {during} then {after}");
    }

    private static int LastCount(Child c) =>
        ChildModes.ReadLines(c.ReportFile).Where(l => l.StartsWith("count ", StringComparison.Ordinal)).Select(l => int.Parse(l[6..], CultureInfo.InvariantCulture)).LastOrDefault(-1);

    private static void Refusals()
    {
        _ = Check.Throws<ArgumentOutOfRangeException>(() => ProcessTree.KillAsync(0).GetAwaiter().GetResult(), "ProcessTree.KillAsync(0)");
        _ = Check.Throws<ArgumentOutOfRangeException>(() => ProcessTree.KillAsync(-1).GetAwaiter().GetResult(), "ProcessTree.KillAsync(-1)");
        _ = Check.Throws<ArgumentOutOfRangeException>(() => ProcessTree.StopAsync(0).GetAwaiter().GetResult(), "ProcessTree.StopAsync(0)");
        _ = Check.Throws<ArgumentOutOfRangeException>(() => ProcessHandle.Open(-1), "ProcessHandle.Open(-1)");

        int self = Environment.ProcessId;
        ArgumentException byPid = Check.Throws<ArgumentException>(() => ProcessTree.KillAsync(self).GetAwaiter().GetResult(), "ProcessTree.KillAsync(the caller)");
        Check.True(byPid.Message.Contains($"pid {self}", StringComparison.Ordinal), $"the refusal does not name the pid: {byPid.Message}");
        _ = Check.Throws<ArgumentException>(() => ProcessTree.StopAsync(self).GetAwaiter().GetResult(), "ProcessTree.StopAsync(the caller)");
        using (var own = ProcessHandle.Open(self))
        {
            _ = Check.Throws<ArgumentException>(() => own.KillTreeAsync().GetAwaiter().GetResult(), "ProcessHandle.KillTreeAsync on the caller's own handle");
            _ = Check.Throws<ArgumentException>(() => own.StopTreeAsync().GetAwaiter().GetResult(), "ProcessHandle.StopTreeAsync on the caller's own handle");
        }

        // An ancestor: a child asks for the tree of its parent, the driver. Were it not refused,
        // the driver would be suspended and ended, and no summary line would follow.
        using var c = Child.Start("kill-tree-of", false, self.ToString(CultureInfo.InvariantCulture));
        Check.Equal(0u, c.WaitExitOrFail(TimeSpan.FromSeconds(20)), $"exit code of {c.Description} (report [{c.Report}])");
        Check.True(c.Report.Contains("refused: ArgumentException", StringComparison.Ordinal), $"the child's tree kill of its parent (the driver) was not refused: [{c.Report}]");
    }

    private static void TreeKill()
    {
        using var root = Child.Start("tree", false, "2", "2");
        List<int> pids = WaitTree(root);
        Check.Equal(7, pids.Count, $"members reported by the tree [{root.Report}]");
        using var members = new Members(pids);
        using var handle = ProcessHandle.FromProcess(root.Process);

        TreeKillResult r = handle.KillTreeAsync().GetAwaiter().GetResult();

        Info("tree-kill", r.ToString());
        Check.Equal(root.Pid, r.KilledPids.Count > 0 ? r.KilledPids[0] : 0, "the first killed pid (the root)");
        Check.Equal(Sorted(pids), Sorted(r.KilledPids), "the killed pids");
        Check.Equal(string.Empty, Fmt(members.Alive()), "members alive after KillTreeAsync returned");
        foreach (int pid in pids)
        {
            Check.Equal<uint?>(0xFFFFFFFF, members.ExitCode(pid), $"exit code of member {pid}");
        }

        Check.True(r.Rounds >= 3, $"a tree with children takes at least 3 rounds: {r}");
        Check.Equal(0, r.ExitedDuringWalk, "members that exited on their own during the walk");
    }

    private static void TreeKillForking()
    {
        HashSet<int> before = OurProcesses();
        using var root = Child.Start("fork-loop", false, "8", "root");
        root.WaitReady();
        if (!WaitMembers(root.ReportFile, 3, TreeReady))
        {
            throw new TestFailure($"the forking tree did not reach 3 members: [{root.Report}]");
        }

        var clock = Stopwatch.StartNew();
        TreeKillResult r = ProcessTree.KillAsync(root.Pid).GetAwaiter().GetResult();
        TimeSpan took = clock.Elapsed;
        List<int> reported = Reported(root.ReportFile);
        using (var leftovers = new Members(OurProcesses().Where(pid => !before.Contains(pid)), mustOpen: false))
        {
            Info("tree-kill-forking", $"{r}; {reported.Count} members had reported, {took.TotalMilliseconds:0} ms in the call");
            Check.Equal(string.Empty, Fmt(leftovers.Alive()), "survivors of the forking tree (processes of this executable started during the case)");
        }

        Check.Equal(string.Empty, Fmt(reported.Where(pid => !r.KilledPids.Contains(pid))), $"members that had reported but are not among the killed pids [{Fmt(r.KilledPids)}]");
    }

    /// <summary>
    /// A root that has exited, leaving a child: while the driver holds the root's handle its pid
    /// cannot be reused, so the child still names it as parent, and the tree kill through a handle
    /// opened on the exited root finds and kills the child.
    /// </summary>
    private static void TreeKillExitedRoot()
    {
        using var root = Child.Start("orphan-middle");
        Check.Equal(0u, root.WaitExitOrFail(TimeSpan.FromSeconds(25)), $"exit code of {root.Description} (report [{root.Report}])");
        string? line = ChildModes.WaitForLine(root.ReportFile, "grandchild ", TimeSpan.Zero);
        Check.True(line is not null, $"{root.Description} did not report its child: [{root.Report}]");
        int child = int.Parse(line![11..], CultureInfo.InvariantCulture);
        using var members = new Members([child]);

        using var handle = ProcessHandle.Open(root.Pid);
        Check.True(!handle.IsAlive, "the root is alive");
        TreeKillResult r = handle.KillTreeAsync().GetAwaiter().GetResult();

        Info("tree-kill-exited-root", r.ToString());
        Check.Equal(child.ToString(CultureInfo.InvariantCulture), Fmt(r.KilledPids), "the killed pids (the exited root's child alone)");
        Check.Equal(1, r.ExitedDuringWalk, "members that had exited on their own (the root)");
        Check.Equal<uint?>(0xFFFFFFFF, members.ExitCode(child), "exit code of the child");
    }

    /// <summary>
    /// Two trees started in a container, each with a grandchild whose parent exited, and whose
    /// parent's pid names nothing any more, before the kill: no walk by parent pid can find it.
    /// Ours (KillTreeAsync) ends the first root alone, .NET's Process.Kill(entireProcessTree: true)
    /// the second root alone; both grandchildren survive, and the container's kill ends them.
    /// </summary>
    private static void EscapedGrandchild()
    {
        using var container = new ProcessContainer();
        string[] reports = [Child.NewReportFile("orphan-maker-ours"), Child.NewReportFile("orphan-maker-dotnet")];
        var roots = new List<Process>();
        try
        {
            foreach (string report in reports)
            {
                var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
                psi.ArgumentList.Add("orphan-maker");
                psi.ArgumentList.Add(report);
                try
                {
                    roots.Add(container.Start(psi));
                }
                catch (UnauthorizedAccessException e) when (Program.OnWine)
                {
                    throw new TestSkipped($"Wine refused to put the process into the job (is the driver in a job already, and nesting refused?): {e.Message}");
                }
            }

            (int middleA, int grandchildA) = WaitOrphan(reports[0], roots[0].Id);
            (int middleB, int grandchildB) = WaitOrphan(reports[1], roots[1].Id);
            using var members = new Members([roots[0].Id, grandchildA, roots[1].Id, grandchildB]);
            IReadOnlyList<int> inside = container.GetProcessIds();
            Check.Equal(Sorted([roots[0].Id, grandchildA, roots[1].Id, grandchildB]), Sorted(inside), $"the container's pids (the middle children {middleA} and {middleB} have exited)");

            using (var handle = ProcessHandle.FromProcess(roots[0]))
            {
                TreeKillResult ours = handle.KillTreeAsync().GetAwaiter().GetResult();
                Info("escaped-grandchild", $"KillTreeAsync: {ours}");
                Check.Equal(roots[0].Id.ToString(CultureInfo.InvariantCulture), Fmt(ours.KilledPids), "the pids KillTreeAsync killed (the root alone)");
            }

            var clock = Stopwatch.StartNew();
            roots[1].Kill(entireProcessTree: true);
            Check.True(roots[1].WaitForExit(Seen), "the second root did not exit after Process.Kill(true)");
            Info("escaped-grandchild", $"Process.Kill(entireProcessTree: true): {clock.Elapsed.TotalMilliseconds:0} ms");
            Check.Equal(Sorted([grandchildA, grandchildB]), Sorted(members.Alive()), "members alive after both tree kills: the escaped grandchildren, untouched by either walk");

            TreeKillResult r = container.KillAsync().GetAwaiter().GetResult();

            Info("escaped-grandchild", $"ProcessContainer.KillAsync: {r}");
            Check.Equal(string.Empty, Fmt(members.Alive()), "members alive after ProcessContainer.KillAsync returned");
            Check.Equal(Sorted([grandchildA, grandchildB]), Sorted(r.KilledPids), "the pids the container killed");
            Check.Equal<uint?>(0xFFFFFFFF, members.ExitCode(grandchildA), "exit code of an escaped grandchild");
            Check.Equal(0, container.GetProcessIds().Count, "processes in the container after the kill");
        }
        finally
        {
            foreach (Process p in roots)
            {
                p.Dispose();
            }
        }
    }

    private static void ContainerAddDispose()
    {
        Check.True(ProcessContainer.IsSupported, "ProcessContainer.IsSupported");
        using var c = Child.Start("sleep");
        c.WaitReady();
        var container = new ProcessContainer();
        try
        {
            _ = Check.Throws<ArgumentOutOfRangeException>(() => container.Add(0), "ProcessContainer.Add(0)");
            _ = Check.Throws<ProcessLookupException>(() => container.Add(0x3FFFFFFC), "ProcessContainer.Add(a pid that names no process)");
            container.Add(c.Process);
            Check.Equal(c.Pid.ToString(CultureInfo.InvariantCulture), Fmt(container.GetProcessIds()), "the container's pids after Add");
        }
        finally
        {
            container.Dispose();
        }

        Check.Equal(0xFFFFFFFFu, c.WaitExitOrFail(Seen), "exit code of the member after Dispose");
        _ = Check.Throws<ObjectDisposedException>(() => container.GetProcessIds(), "GetProcessIds after Dispose");
        Check.Equal<string?>(null, container.CgroupPath, "CgroupPath of a job-object container");

        // DisposeAsync ends the member too, and a second disposal of either kind does nothing.
        using var d = Child.Start("sleep");
        d.WaitReady();
        var other = new ProcessContainer();
        other.Add(d.Process);
        other.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Check.Equal(0xFFFFFFFFu, d.WaitExitOrFail(Seen), "exit code of the member after DisposeAsync");
        other.Dispose();
        other.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ = Check.Throws<ObjectDisposedException>(() => other.GetProcessIds(), "GetProcessIds after DisposeAsync");
    }

    /// <summary>
    /// Ctrl+C to a tree on a console of its own, made the .NET way: ProcessStartInfo.CreateNoWindow
    /// (CREATE_NO_WINDOW gives the child a new console without a window).
    /// </summary>
    private static void TreeStopCtrlC()
    {
        using var root = Child.StartHidden("tree", "1", "2", "ctrl");
        List<int> pids = WaitTree(root);
        Check.True(!Native.ConsoleProcesses().Contains((uint)root.Pid), $"{root.Description} is on the driver's console; CreateNoWindow should have given it one of its own");
        using var members = new Members(pids);
        using var handle = ProcessHandle.Open(root.Pid);
        int driverC = Program.DriverCtrlC;
        var options = new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, TimeSpan.FromSeconds(15)), StopStep.Terminate(77, Seen)]);

        TreeStopResult r = handle.StopTreeAsync(options).GetAwaiter().GetResult();

        Info("tree-stop-ctrl-c", $"{r.MemberCount} members ({pids.Count} of this executable), step {Fmt(r.StepIndex)}, {r.Elapsed.TotalMilliseconds:0} ms, {r.Rounds} rounds");
        Check.True(r.Exited, $"the tree did not exit: {r}");
        Check.Equal<int?>(0, r.StepIndex, "the step that ended the tree (Ctrl+C)");

        // The new console's host, conhost.exe, is a child of the root: a member too, which exits
        // once its last client has.
        Check.True(r.MemberCount is >= 3 and <= 4, $"members found: {r.MemberCount}, expected the {pids.Count} of the tree, and maybe conhost.exe");
        Check.Equal(0, r.KilledCount, "members ended by TerminateProcess");
        foreach (int pid in pids)
        {
            Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(pid), $"exit code of member {pid} (130: its handler saw Ctrl+C)");
        }

        Check.Equal(driverC, Program.DriverCtrlC, "Ctrl+C events seen by the driver");
    }

    private static void TreeStopEscalates()
    {
        using var root = Child.StartOnNewConsole("tree", "1", "2", "ignore");
        List<int> pids = WaitTree(root);
        using var members = new Members(pids);
        using var handle = ProcessHandle.Open(root.Pid);
        var options = new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, TimeSpan.FromSeconds(1.5)), StopStep.Terminate(77, Seen)]);

        TreeStopResult r = handle.StopTreeAsync(options).GetAwaiter().GetResult();

        Info("tree-stop-escalates", $"{r.MemberCount} members, step {Fmt(r.StepIndex)}, killed {r.KilledCount}, {r.Elapsed.TotalMilliseconds:0} ms, {r.Rounds} rounds");
        Check.True(r.Exited, $"the tree did not exit: {r}");
        Check.Equal<int?>(1, r.StepIndex, "the step that ended the tree (exit code 77)");
        Check.Equal<int?>(77, r.Step?.ExitCode, "its exit code (the step is Terminate(77))");
        Check.Equal(StopStep.Terminate(77, Seen), StopStep.SendSignal(77, Seen), "SendSignal(77) on Windows: the exit-code step, as os.kill(pid, 77) ends a process with exit code 77 there");
        Check.True(r.KilledCount == r.MemberCount && r.KilledCount >= pids.Count, $"members ended by TerminateProcess: {r.KilledCount} of {r.MemberCount} found, {pids.Count} of them this executable's (a console host, conhost.exe, may be a member too)");
        Check.Equal<int?>(77, r.ExitStatus?.ExitCode, "the root's exit status");
        foreach (int pid in pids)
        {
            Check.Equal<uint?>(77, members.ExitCode(pid), $"exit code of member {pid}");
        }
    }

    private static void TreeStopRefusesOutsiders()
    {
        using var outsider = Child.Start("sleep");
        using var root = Child.Start("tree", false, "1", "1");
        outsider.WaitReady();
        List<int> pids = WaitTree(root);
        using var members = new Members(pids);
        using var handle = ProcessHandle.FromProcess(root.Process);

        var ctrlC = new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, Seen)]);
        ArgumentException e = Check.Throws<ArgumentException>(() => handle.StopTreeAsync(ctrlC).GetAwaiter().GetResult(), "StopTreeAsync with Ctrl+C, on a console shared with a process outside the tree");
        Check.True(e.Message.Contains(outsider.Pid.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), $"the refusal does not name the outsider {outsider.Pid}: {e.Message}");
        Thread.Sleep(300);
        Check.Equal(null, outsider.ExitCode, "the outsider's exit code");
        Check.Equal(Sorted(pids), Sorted(members.Alive()), "members alive after the refusal");

        var terminate = new StopOptions([StopStep.Terminate(55, Seen)]);
        TreeStopResult r = handle.StopTreeAsync(terminate).GetAwaiter().GetResult();
        Check.True(r.Exited && r.StepIndex == 0 && r.KilledCount == pids.Count, $"the TerminateProcess-only stop: {r}");
        Check.Equal<uint?>(55, members.ExitCode(pids[^1]), "exit code of the child");
        Check.Equal(null, outsider.ExitCode, "the outsider's exit code after the stop");
    }

    private static void TreeStopCtrlBreak()
    {
        using var root = Child.StartOnNewConsole("tree", "1", "1", "ctrl");
        List<int> pids = WaitTree(root);
        using var members = new Members(pids);
        using var handle = ProcessHandle.Open(root.Pid);
        var options = new StopOptions([StopStep.SendSignal(Signal.CTRL_BREAK_EVENT, Seen)]);
        TreeStopResult r;
        try
        {
            r = handle.StopTreeAsync(options).GetAwaiter().GetResult();
        }
        catch (OsException e) when (Program.OnWine)
        {
            Check.True(e.Pid == root.Pid && e.Signal == Signal.CTRL_BREAK_EVENT, $"the error does not name the pid and the event: Pid {e.Pid}, Signal {e.Signal}: {e.Message}");
            throw new TestSkipped($"Wine 8 does not implement CTRL_BREAK_EVENT; the tree stop reported it as {e.GetType().Name} (WinError {e.WinError}) naming pid {e.Pid}: {e.Message}");
        }

        Check.True(r.Exited && r.StepIndex == 0, $"the tree did not end with Ctrl+Break: {r}");
        foreach (int pid in pids)
        {
            Check.Equal<uint?>(ChildModes.GotCtrlBreak, members.ExitCode(pid), $"exit code of member {pid}");
        }
    }

    /// <summary>Waits for the tree's root to report, and returns every member's pid, the root first.</summary>
    private static List<int> WaitTree(Child root)
    {
        string? line = ChildModes.WaitForLine(root.ReportFile, $"ready {root.Pid} tree ", TreeReady);
        if (line is null)
        {
            throw new TestFailure($"{root.Description} did not report its tree within {TreeReady.TotalSeconds:0} s: exit code {Child.Fmt(root.ExitCode)}, report [{root.Report}]");
        }

        return TreePids(line);
    }

    /// <summary>The pids of a "ready PID tree PID DESCENDANTS..." line, the root first.</summary>
    private static List<int> TreePids(string line) =>
        [.. line[(line.IndexOf(" tree ", StringComparison.Ordinal) + 6)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];

    private static (int Middle, int Grandchild) WaitOrphan(string report, int rootPid)
    {
        string? line = ChildModes.WaitForLine(report, $"ready {rootPid} ", TreeReady);
        if (line is null)
        {
            throw new TestFailure($"the orphan-maker {rootPid} did not report: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
        }

        // "ready ROOT middle MIDDLE grandchild G"
        string[] words = line.Split(' ');
        return (int.Parse(words[3], CultureInfo.InvariantCulture), int.Parse(words[5], CultureInfo.InvariantCulture));
    }

    private static bool WaitMembers(string report, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Reported(report).Count < count)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(50);
        }

        return true;
    }

    private static List<int> Reported(string report) =>
        [.. ChildModes.ReadLines(report).Where(l => l.StartsWith("member ", StringComparison.Ordinal)).Select(l => int.Parse(l[7..], CultureInfo.InvariantCulture))];

    /// <summary>The pids of the processes running this executable, the driver excepted.</summary>
    private static HashSet<int> OurProcesses()
    {
        var pids = new HashSet<int>();
        foreach (Process p in Process.GetProcessesByName(Path.GetFileNameWithoutExtension(Environment.ProcessPath!)))
        {
            using (p)
            {
                if (p.Id != Environment.ProcessId)
                {
                    pids.Add(p.Id);
                }
            }
        }

        return pids;
    }

    private static string Sorted(IEnumerable<int> pids) => Fmt(pids.Order());

    private static string Fmt(IEnumerable<int> pids) => string.Join(",", pids);

    private static string Fmt(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "none";
}
