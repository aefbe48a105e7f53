using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill.Windows.Tree;

/// <summary>
/// How a process tree is killed and stopped on Windows: the shared <see cref="TreeSkeleton{TMember}"/>
/// over process handles (<see cref="WindowsTreeBackend"/>): walk by parent pid with a handle held on
/// every member, freeze, then terminate. This class opens the root (refusing the caller and its
/// ancestors) and runs the skeleton.
/// </summary>
/// <remarks>
/// <para>1. Open our own handle on the root (while the caller's handle is held, the pid cannot name
/// another process) and refuse if the root is the caller or one of its ancestors.</para>
/// <para>2. Rounds: a toolhelp snapshot of every process; each process whose parent pid is a
/// member's is opened, and admitted only if, through the handle just opened, its parent pid
/// (NtQueryInformationProcess) is still that member's and its creation time is not earlier than the
/// member's. Windows records a parent pid once, at creation, and never updates it: after the parent
/// exits and its pid is reused, an unrelated process seems to have the new holder of the pid as
/// parent, but it is older than that holder. The member's own pid cannot be reused meanwhile, since
/// we hold a handle on it. A process that has exited is in no snapshot, even while a handle on it
/// (its parent's, say) keeps its pid: its children's entries name a pid that the snapshot does not
/// list. So each round also opens every such pid and follows its parent pids, through processes the
/// snapshot does not list, to a member, with the same checks at every link; what it reaches is
/// admitted, and its children are walked as usual. Each admitted member is suspended
/// (NtSuspendProcess; a suspended process creates no process). Rounds follow each other until one
/// finds nothing new.</para>
/// <para>3. TerminateProcess every member, console hosts (conhost.exe) last (see
/// <see cref="WindowsTreeBackend.SendOrder"/>), wait (WaitForMultipleObjects) until all have exited, then walk once
/// more: a thread that was inside CreateProcess when its process was suspended or terminated can
/// still finish creating a child. The walk is conclusive once every member has exited, because an
/// exited process creates nothing, and its handle, held by us, keeps its pid from being reused, so
/// its children still name it as their parent.</para>
/// <para>Audit: each TerminateProcess of a member raises <c>os.kill</c> <c>(pid, exit code)</c>, and
/// the events of every member a pass ends are raised before the first TerminateProcess of that pass,
/// so that a hook that vetoes one (by throwing) ends nobody; its exception reaches the caller unchanged,
/// and whatever the freeze suspended is resumed (NtSuspendProcess sends nothing, and raises no event).
/// Each console event a stop sends raises <c>os.kill</c> <c>(pid, 0 or 1)</c> for the member whose
/// console it goes to.</para>
/// <para>Without NtSuspendProcess (it reports STATUS_NOT_IMPLEMENTED), the walk does not freeze, and
/// step 3 alone ends the tree: it repeats until a walk after every member has exited finds no new
/// member.</para>
/// <para>Unlike Linux, a member that exits on its own keeps its place in the tree while we hold its
/// handle, and so does an exited process that another process holds a handle on: their children
/// are still found. A process is lost to the walk only when it exited, and every handle on it was
/// closed, before a round opened it; its children then name a pid that no longer exists (or that a
/// younger process reuses). A pid that the snapshot does not list and that cannot be opened for
/// another reason (access denied) cannot be followed either.</para>
/// </remarks>
[SupportedOSPlatform("windows")]
internal static class WindowsProcessTree
{
    /// <inheritdoc cref="WindowsTreeBackend.KillExitCode"/>
    internal const int KillExitCode = WindowsTreeBackend.KillExitCode;

    /// <summary>Kills the process that <paramref name="root"/> names and all its descendants (exit code −1), and waits until each has exited.</summary>
    internal static async Task<TreeKillResult> KillAsync(SafeHandle root, int rootPid, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        using TreeSkeleton<WindowsTreeMember> tree = Start(root, rootPid, WindowsTreeBackend.MemberAccess, "kill", KillExitCode);
        return await tree.KillAsync(TimeSpan.Zero, clock, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the process that <paramref name="root"/> names and all its descendants, step by step
    /// (see <see cref="TreeSkeleton{TMember}.Send"/>). A CTRL_C_EVENT or CTRL_BREAK_EVENT step walks
    /// the tree (without freezing it), sends the event to the root's console through
    /// <see cref="ConsoleControl.Send"/> (the first live member's when the root has exited), and waits
    /// until every member has exited, walking again each time they all have. Any other step value
    /// freezes the tree and ends every member with that exit code, as the kill does. A console event
    /// reaches every process attached to the console: when that console is ours, and it has
    /// processes outside the tree (other than the caller), the step is refused before anything is sent.
    /// </summary>
    internal static async Task<TreeStopResult> StopAsync(SafeHandle root, int rootPid, StopOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using TreeSkeleton<WindowsTreeMember> tree = Start(root, rootPid, WindowsTreeBackend.MemberAccess, "stop", options.Steps[0].Number);
        return await TreeStop.RunAsync(tree, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The skeleton over our own handle on the root, after checking that its tree does not hold the caller.</summary>
    internal static TreeSkeleton<WindowsTreeMember> Start(SafeHandle root, int rootPid, uint access, string action, int? sig)
    {
        (WindowsTreeBackend backend, WindowsTreeMember member) = WindowsTreeBackend.Open(root, rootPid, access, action, sig);
        return new TreeSkeleton<WindowsTreeMember>(backend, member, static m => m.Release());
    }
}
