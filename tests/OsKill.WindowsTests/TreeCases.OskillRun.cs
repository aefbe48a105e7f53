using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace OsKill.WindowsTests;

/// <summary>
/// <c>oskill run</c> on Windows, for real: the driver started again as <c>--oskill REPORT run ...</c>
/// (<see cref="OskillMode"/>) runs the CLI in-process, its stderr (the -v lines) in REPORT, with
/// CMD = this executable in a child mode.
/// </summary>
internal static partial class TreeCases
{
    private static string Self => Environment.ProcessPath ?? throw new InvalidOperationException("no ProcessPath");

    private static void RunOskillRunCases(Harness h)
    {
        Run(h, "oskill-run-statuses", OskillRunStatuses, Long);
        Run(h, "oskill-run-timeout", OskillRunTimeout, Long);
        Run(h, "oskill-run-ctrl-c", OskillRunCtrlC, Long);
        Run(h, "oskill-run-leftovers", OskillRunLeftovers, Long);
    }

    /// <summary>CMD's exit code is oskill's; a CMD that does not exist is 127; a POSIX-only option is a usage error (125) that names it.</summary>
    private static void OskillRunStatuses()
    {
        using (var run = Child.Start("--oskill", false, "run", "-v", "--", Self, "exit", Child.NewReportFile("cmd"), "7"))
        {
            Check.Equal(7u, run.WaitExitOrFail(Seen), $"the exit status of oskill run -- (a CMD that exits 7); stderr [{run.Report}]");
            Check.True(run.Report.Contains("CMD exited: exit code 7", StringComparison.Ordinal), $"-v says how CMD ended: [{run.Report}]");
        }

        using (var missing = Child.Start("--oskill", false, "run", "--", @"C:\no\such\program.exe"))
        {
            Check.Equal(127u, missing.WaitExitOrFail(Seen), $"the exit status for a CMD that does not exist; stderr [{missing.Report}]");
            Check.True(missing.Report.Contains(@"cannot run 'C:\no\such\program.exe'", StringComparison.Ordinal), $"the error names CMD: [{missing.Report}]");
        }

        foreach (string[] refused in new[] { new[] { "--no-cgroup" }, ["--forward-to", "group"], ["-r", "TERM:INT"], ["-s", "ABRT"] })
        {
            using var bad = Child.Start("--oskill", false, ["run", .. refused, "--", Self, "exit", Child.NewReportFile("cmd"), "0"]);
            Check.Equal(125u, bad.WaitExitOrFail(Seen), $"the exit status of oskill run {string.Join(' ', refused)}; stderr [{bad.Report}]");
                        Check.True(bad.Report.Contains($"run: {refused[0]}", StringComparison.Ordinal) && bad.Report.Contains("Windows", StringComparison.Ordinal), $"the usage error names {refused[0]} and Windows: [{bad.Report}]");
        }
    }

    /// <summary>
    /// A CMD with a child, both ignoring Ctrl+C, under <c>--timeout 4s -k 1s</c>: the Ctrl+C step
    /// ends nobody, the KILL step ends the whole job (exit code −1), and oskill exits 124.
    /// </summary>
    private static void OskillRunTimeout()
    {
        string cmdReport = Child.NewReportFile("tree");
        using var run = Child.StartOnNewConsole("--oskill", "run", "-v", "--timeout", "4s", "-k", "1s", "--", Self, "tree", cmdReport, "1", "1", "ignore");
        string line = ChildModes.WaitForLine(cmdReport, "ready ", TimeSpan.FromSeconds(20))
            ?? throw new TestFailure($"CMD never became ready: oskill's exit code {Child.Fmt(run.ExitCode)}, stderr [{run.Report}]");
        int[] pids = [.. line[(line.IndexOf(" tree ", StringComparison.Ordinal) + 6)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
        Process[] members = [.. pids.Select(Process.GetProcessById)];

        // Opened now, while they run: Process opens the handle on first use, and not after the exit.
        (int Pid, SafeProcessHandle Handle)[] handles = [.. members.Select(m => (m.Id, m.SafeHandle))];
        try
        {
            Check.Equal(2, members.Length, $"CMD and its child ({line})");
            uint status = run.WaitExitOrFail(TimeSpan.FromSeconds(20));
            Info("oskill-run-timeout", run.Report);
            Check.Equal(124u, status, $"oskill run's status after the timeout; stderr [{run.Report}]");
            foreach ((int pid, SafeProcessHandle handle) in handles)
            {
                // Opened by pid, so Process will not say the exit code: ask Windows through the handle.
                Check.Equal(Native.WAIT_OBJECT_0, Native.WaitForSingleObject(handle, 0), $"member {pid} is gone when oskill run returns");
                Check.True(Native.GetExitCodeProcess(handle, out uint code), $"GetExitCodeProcess({pid})");
                Check.Equal(unchecked((uint)WindowsKilledExitCode), code, $"member {pid}'s exit code (it ignored Ctrl+C, so KILL ended it)");
            }

            Check.True(run.Report.Contains("timeout after 4000 ms", StringComparison.Ordinal), $"-v says the timeout fired: [{run.Report}]");
        }
        finally
        {
            foreach (Process member in members)
            {
                member.Dispose();
            }
        }
    }

    /// <summary>A Ctrl+C sent to oskill run's console reaches CMD exactly once, from the console; oskill survives it and exits with CMD's code.</summary>
    private static void OskillRunCtrlC()
    {
        string cmdReport = Child.NewReportFile("ctrl-count");
        using var run = Child.StartOnNewConsole("--oskill", "run", "-v", "--", Self, "ctrl-count", cmdReport);
        if (ChildModes.WaitForLine(cmdReport, "ready ", TimeSpan.FromSeconds(20)) is null)
        {
            throw new TestFailure($"CMD never became ready: oskill's exit code {Child.Fmt(run.ExitCode)}, stderr [{run.Report}]");
        }

        ConsoleControl.Send(run.Pid, ConsoleEvent.CtrlC);

        uint status = run.WaitExitOrFail(TimeSpan.FromSeconds(20));
        Info("oskill-run-ctrl-c", $"oskill exit {status}; CMD [{string.Join(" | ", ChildModes.ReadLines(cmdReport))}]; stderr [{run.Report}]");
        Check.True(ChildModes.ReadLines(cmdReport).Contains("count 1"), $"CMD saw exactly one Ctrl+C: [{string.Join(" | ", ChildModes.ReadLines(cmdReport))}]");
        Check.Equal((uint)ChildModes.GotCtrlC, status, $"oskill run's status is CMD's; stderr [{run.Report}]");
        Check.True(run.Report.Contains("received Ctrl+C", StringComparison.Ordinal), $"-v says oskill received Ctrl+C and survived it: [{run.Report}]");
    }

    /// <summary>A CMD that exits 0 leaving a sleeping grandchild in the job: oskill stops it (Ctrl+C, then the job's end), returns only then, with CMD's 0.</summary>
    private static void OskillRunLeftovers()
    {
        string cmdReport = Child.NewReportFile("orphan-middle");
        using var run = Child.StartOnNewConsole("--oskill", "run", "-v", "--grace", "2s", "--", Self, "orphan-middle", cmdReport);
        string line = ChildModes.WaitForLine(cmdReport, "grandchild ", TimeSpan.FromSeconds(20))
            ?? throw new TestFailure($"CMD never started its grandchild: oskill's exit code {Child.Fmt(run.ExitCode)}, stderr [{run.Report}]");
        int grandchild = int.Parse(line["grandchild ".Length..]);
        Process? left = null;
        try
        {
            // oskill may have stopped it already: then it is gone, which is what is checked.
            left = Process.GetProcessById(grandchild);
            _ = left.SafeHandle;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            left?.Dispose();
            left = null;
        }

        using (left)
        {
            uint status = run.WaitExitOrFail(TimeSpan.FromSeconds(20));
            Info("oskill-run-leftovers", run.Report);
            Check.Equal(0u, status, $"oskill run's status is CMD's 0; stderr [{run.Report}]");
            Check.True(run.Report.Contains("CMD left members behind", StringComparison.Ordinal) || left is null, $"-v says CMD left a member: [{run.Report}]");
            if (left is not null)
            {
                Check.Equal(Native.WAIT_OBJECT_0, Native.WaitForSingleObject(left.SafeHandle, 0), $"the grandchild {grandchild} is gone when oskill run returns");
            }
        }
    }

    /// <summary>The exit code that <c>oskill run</c>'s KILL step gives on Windows (−1).</summary>
    private const int WindowsKilledExitCode = -1;

    /// <summary>
    /// <c>--oskill REPORT ARGS...</c>: runs the oskill CLI in this process with ARGS, its stderr
    /// appended to REPORT, and exits with its status.
    /// </summary>
    internal static int OskillMode(string[] args)
    {
        using var fs = new FileStream(args[1], FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        using var stderr = new StreamWriter(fs) { AutoFlush = true };
        return OsKill.Cli.Cli.Run(args[2..], Console.Out, stderr);
    }
}
