using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace OsKill.WindowsTests;

/// <summary>
/// A member that no toolhelp snapshot lists the parent of: an orphan whose exited parent is still
/// held open, so that the parent is in no snapshot, yet its pid still names it.
/// </summary>
internal static partial class TreeCases
{
    private static void RunHeldOrphanCases(Harness h) => Run(h, "tree-kill-held-orphan", TreeKillHeldOrphan, Long);

    /// <summary>
    /// The root starts a middle child, which starts a sleeping grandchild and exits; the root keeps a
    /// handle on the middle child. The exited middle child is in no toolhelp snapshot, but its pid
    /// still opens, and the grandchild's entry still names it as parent: the walk must follow that
    /// chain (grandchild → exited middle → root) and kill the grandchild. A stranger built the same
    /// way by the driver (its exited parent held by the driver, outside the tree) is left alone.
    /// </summary>
    private static void TreeKillHeldOrphan()
    {
        using var root = Child.Start("orphan-maker", false, "hold");
        using var strangerParent = Child.Start("orphan-middle");
        (int middle, int grandchild) = WaitOrphan(root.ReportFile, root.Pid);
        Check.Equal(0u, strangerParent.WaitExitOrFail(TreeReady), $"exit code of {strangerParent.Description} (report [{strangerParent.Report}])");
        string? line = ChildModes.WaitForLine(strangerParent.ReportFile, "grandchild ", TimeSpan.Zero);
        Check.True(line is not null, $"{strangerParent.Description} did not report its child: [{strangerParent.Report}]");
        int stranger = int.Parse(line![11..], CultureInfo.InvariantCulture);
        using var members = new Members([root.Pid, grandchild, stranger]);

        using (SafeProcessHandle? held = Native.TryOpen(middle))
        {
            Check.True(held is not null, $"the exited middle child {middle} does not open: the root's handle should keep it");
        }

        bool listed = Process.GetProcesses().Any(p =>
        {
            using (p)
            {
                return p.Id == middle;
            }
        });
        Info("tree-kill-held-orphan", $"root {root.Pid}, exited middle {middle} ({(listed ? "listed" : "not listed")} by the process list), grandchild {grandchild}; stranger {stranger} under the exited {strangerParent.Pid}, held by the driver");

        using var handle = ProcessHandle.FromProcess(root.Process);
        TreeKillResult r = handle.KillTreeAsync().GetAwaiter().GetResult();

        Info("tree-kill-held-orphan", r.ToString());
        Check.Equal(root.Pid, r.KilledPids.Count > 0 ? r.KilledPids[0] : 0, "the first killed pid (the root)");
        Check.Equal(Sorted([root.Pid, grandchild]), Sorted(r.KilledPids), "the killed pids (the root and the grandchild under its exited, held child)");
        Check.Equal<uint?>(0xFFFFFFFF, members.ExitCode(grandchild), "exit code of the grandchild");
        Check.Equal<uint?>(0xFFFFFFFF, members.ExitCode(root.Pid), "exit code of the root");
        Check.Equal(1, r.ExitedDuringWalk, "members that had exited on their own (the middle child)");
        Check.Equal(stranger.ToString(CultureInfo.InvariantCulture), Fmt(members.Alive()), "members alive after the kill (the stranger alone)");
    }
}
