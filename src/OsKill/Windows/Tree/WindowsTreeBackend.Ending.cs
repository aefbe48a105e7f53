using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OsKill.Windows.Tree;

/// <summary>How <see cref="WindowsTreeBackend"/> ends its members: console hosts last, console events and the refusal of outsiders, and the waits for exits.</summary>
internal sealed partial class WindowsTreeBackend
{
    /// <summary>
    /// <paramref name="live"/> with its console hosts (conhost.exe) moved to the end, the order kept
    /// otherwise: ended before the others, a host can end the processes waiting on its console with
    /// exit code 0 before TerminateProcess reaches them (see <see cref="ConsoleHosts"/>).
    /// </summary>
    public List<WindowsTreeMember> SendOrder(List<WindowsTreeMember> live)
    {
        List<WindowsTreeMember> hosts = live.Count < 2 ? [] : live.FindAll(m => ConsoleHosts.IsConsoleHost(m.Handle));
        if (hosts.Count == 0)
        {
            return live;
        }

        List<WindowsTreeMember> ordered = live.FindAll(m => !hosts.Contains(m));
        ordered.AddRange(hosts);
        return ordered;
    }

    /// <summary>
    /// Sends the console event to the root's console (or the first live member's, once the root has
    /// exited). Returns false when no member was alive to receive it.
    /// </summary>
    public bool SendToGroup(List<WindowsTreeMember> live, int sig)
    {
        foreach (WindowsTreeMember target in live)
        {
            RefuseOutsiders(target, live, sig, "options");

            // The event goes to the target's console, and reaches every process attached to it.
            Audit.RaiseKill(target.Pid, sig);
            try
            {
                ConsoleControl.Send(target.Pid, (ConsoleEvent)sig);
                return true;
            }
            catch (ProcessLookupException) when (ProcessWait.HasExited(target.Handle))
            {
                // It exited just now: try the next live member.
                target.Exited = true;
            }
        }

        return false;
    }

    /// <summary>
    /// Waits until every member of <paramref name="batch"/> has exited: first a check that does not
    /// block, then, only if some still run, a wait on a pool thread. Returns those still running at the deadline.
    /// </summary>
    public async Task<List<WindowsTreeMember>> WaitForExitAsync(List<WindowsTreeMember> batch, long deadline, CancellationToken cancellationToken)
    {
        List<SafeHandle> handles = batch.ConvertAll(m => (SafeHandle)m.Handle);
        List<int> pending = HandleWait.WaitAll(handles, Stopwatch.GetTimestamp(), cancellationToken);
        if (pending.Count > 0 && deadline > Stopwatch.GetTimestamp())
        {
            List<SafeHandle> still = pending.ConvertAll(i => handles[i]);
            List<int> left = await Task.Run(() => HandleWait.WaitAll(still, deadline, cancellationToken), cancellationToken).ConfigureAwait(false);
            pending = left.ConvertAll(i => pending[i]);
        }

        var running = new List<WindowsTreeMember>(pending.Count);
        bool[] stillRunning = new bool[batch.Count];
        foreach (int i in pending)
        {
            stillRunning[i] = true;
            running.Add(batch[i]);
        }

        for (int i = 0; i < batch.Count; i++)
        {
            batch[i].Exited = !stillRunning[i];
        }

        return running;
    }

    /// <summary>
    /// A console event reaches every process attached to the console. When the target is on our
    /// console we can list them: refuse if any is outside the tree (other than the caller, which
    /// <see cref="ConsoleControl.Send"/> never interrupts). Another console cannot be listed from here.
    /// </summary>
    private void RefuseOutsiders(WindowsTreeMember target, List<WindowsTreeMember> live, int sig, string paramName)
    {
        int[] attached = ConsoleEvents.OurConsoleProcesses();
        if (!attached.Contains(target.Pid))
        {
            return;
        }

        var members = live.Select(m => m.Pid).ToHashSet();
        int[] outsiders = [.. attached.Where(pid => pid != Environment.ProcessId && !members.Contains(pid))];
        if (outsiders.Length == 0)
        {
            return;
        }

        throw new ArgumentException(
            $"Refusing to send {OsException.SignalText(sig)} to the process tree of pid {_rootPid}: pid {target.Pid} shares this process's console, " +
            $"and a console event reaches every process attached to it, among them pid(s) {string.Join(", ", outsiders.Take(20))} outside the tree. " +
            "Start the tree on a console of its own (ProcessStartInfo.CreateNoWindow = true gives it a hidden one; CREATE_NEW_CONSOLE a visible one), " +
            "or use a step with an exit code (TerminateProcess) instead. Nothing was sent.",
            paramName);
    }
}
