using System.Diagnostics;

namespace OsKill.WindowsTests;

/// <summary>
/// Exit codes of the members of a tree on a console of its own, whose console host (conhost.exe)
/// is a member too: the host must be ended after the others.
/// </summary>
internal static partial class TreeCases
{
    private static void RunConsoleHostCases(Harness h)
    {
        Run(h, "tree-stop-console-host-last", () => ConsoleHostLast(stop: true), Long);
        Run(h, "tree-kill-console-host-last", () => ConsoleHostLast(stop: false), Long);
        Run(h, "container-console-host-last", ContainerConsoleHostLast, Long);
    }

    /// <summary>
    /// A tree of 3 (root, child, grandchild) on a console of its own (CreateNoWindow), whose members
    /// ignore Ctrl+C and wait in a read of their console; its console host, conhost.exe, is a member
    /// too. Under Wine, ending the host first ends every process waiting on its console with exit
    /// code 0, suspended or not; ended last, it leaves them the step's exit code: every member, the
    /// host included, must end with 99 after a Ctrl+C step of 2 s (<paramref name="stop"/>), with −1
    /// for the kill, whose killed pids end with the host.
    /// </summary>
    private static void ConsoleHostLast(bool stop)
    {
        string name = stop ? "tree-stop-console-host-last" : "tree-kill-console-host-last";
        HashSet<int> hostsBefore = ConsoleHostPids();
        using var root = Child.StartHidden("tree", "2", "1", "ignore", "read");
        List<int> pids = WaitTree(root);
        List<int> hosts = [.. ConsoleHostPids().Where(pid => !hostsBefore.Contains(pid))];
        Check.True(hosts.Count > 0, $"no conhost.exe started with the tree on its own console (pids {Fmt(pids)})");
        using var members = new Members([.. pids, .. hosts]);
        using var handle = ProcessHandle.Open(root.Pid);

        uint expected;
        int found;
        int killed;
        IReadOnlyList<int>? order = null;
        if (stop)
        {
            var options = new StopOptions([StopStep.SendSignal(Signal.CTRL_C_EVENT, TimeSpan.FromSeconds(2)), StopStep.Terminate(99, Seen)]);
            TreeStopResult r = handle.StopTreeAsync(options).GetAwaiter().GetResult();
            Info(name, $"{r}; tree {Fmt(pids)}, console host(s) {Fmt(hosts)}");
            Check.True(r.Exited, $"the tree did not exit: {r}");
            Check.Equal<int?>(1, r.StepIndex, "the step that ended the tree (exit code 99)");
            (expected, found, killed) = (99, r.MemberCount, r.KilledCount);
        }
        else
        {
            TreeKillResult r = handle.KillTreeAsync().GetAwaiter().GetResult();
            Info(name, $"{r}; killed in the order {Fmt(r.KilledPids)}; tree {Fmt(pids)}, console host(s) {Fmt(hosts)}");
            (expected, found, killed, order) = (0xFFFFFFFF, r.KilledPids.Count, r.KilledPids.Count, r.KilledPids);
        }

        Check.Equal(pids.Count + hosts.Count, found, $"members found (the tree's {pids.Count} and its console host(s) {Fmt(hosts)})");
        Check.Equal(found, killed, "members ended by TerminateProcess");
        CheckExitCodes(members, [.. pids, .. hosts], expected);
        if (order is not null)
        {
            Check.Equal(root.Pid, order.Count > 0 ? order[0] : 0, "the first killed pid (the root)");
            Check.Equal(Sorted(hosts), Sorted(order.TakeLast(hosts.Count)), $"the last killed pids (the console hosts), of {Fmt(order)}");
        }
    }

    /// <summary>The same tree in a process container: its kill (TerminateJobObject) must not end the console host before the others either.</summary>
    private static void ContainerConsoleHostLast()
    {
        using var container = new ProcessContainer();
        HashSet<int> hostsBefore = ConsoleHostPids();
        string report = Child.NewReportFile("tree-contained");
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, CreateNoWindow = true };
        foreach (string arg in (string[])["tree", report, "2", "1", "ignore", "read"])
        {
            psi.ArgumentList.Add(arg);
        }

        using Process root = container.Start(psi);
        string? line = ChildModes.WaitForLine(report, $"ready {root.Id} tree ", TreeReady);
        if (line is null)
        {
            throw new TestFailure($"the contained tree {root.Id} did not report: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
        }

        List<int> pids = TreePids(line);
        List<int> hosts = [.. ConsoleHostPids().Where(pid => !hostsBefore.Contains(pid))];
        Check.True(hosts.Count > 0, $"no conhost.exe started with the tree on its own console (pids {Fmt(pids)})");
        using var members = new Members([.. pids, .. hosts]);
        Check.Equal(Sorted([.. pids, .. hosts]), Sorted(container.GetProcessIds()), "the container's pids (the tree and its console host)");

        TreeKillResult r = container.KillAsync().GetAwaiter().GetResult();

        Info("container-console-host-last", $"{r}; tree {Fmt(pids)}, console host(s) {Fmt(hosts)}");
        CheckExitCodes(members, [.. pids, .. hosts], 0xFFFFFFFF);
    }

    /// <summary>Checks every pid's exit code, and names all that differ at once.</summary>
    private static void CheckExitCodes(Members members, List<int> pids, uint expected)
    {
        var codes = pids.Select(pid => (Pid: pid, Code: members.ExitCode(pid))).ToList();
        string all = string.Join(", ", codes.Select(c => $"{c.Pid}: {Child.Fmt(c.Code)}"));
        Check.True(codes.All(c => c.Code == expected), $"every member must end with exit code {expected} (0x{expected:x}); got {all}");
    }

    /// <summary>The pids of the console hosts (conhost.exe) now running.</summary>
    private static HashSet<int> ConsoleHostPids()
    {
        var pids = new HashSet<int>();
        foreach (Process p in Process.GetProcessesByName("conhost"))
        {
            using (p)
            {
                pids.Add(p.Id);
            }
        }

        return pids;
    }
}
