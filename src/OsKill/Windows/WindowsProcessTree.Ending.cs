using System.Diagnostics;
using System.Runtime.InteropServices;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>How <see cref="WindowsProcessTree"/> ends its members: TerminateProcess passes (console hosts last), console-event steps and the refusal of outsiders, and the waits for exits.</summary>
internal sealed partial class WindowsProcessTree
{
    /// <summary>
    /// Ends every live member with TerminateProcess(<paramref name="exitCode"/>), waits until each
    /// has exited, and walks again; repeats until a walk made after every member had exited finds no
    /// new member. Returns the members still running at <paramref name="deadline"/>: empty on success.
    /// </summary>
    private async Task<List<Member>> TerminateAllAsync(int exitCode, long deadline, List<Member> killed, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = new List<Member>();
            var errors = new List<Exception>();
            List<Member> live = ConsoleHostsLast(Live());

            // All or nothing: the os.kill event of every member this pass ends, before the first
            // TerminateProcess. A hook that vetoes one (by throwing) ends nobody: its exception
            // leaves through Dispose, which resumes whatever the freeze suspended.
            foreach (Member m in live)
            {
                if (!m.Terminated)
                {
                    Audit.RaiseKill(m.Pid, exitCode);
                }
            }

            foreach (Member m in live)
            {
                if (m.Terminated)
                {
                    batch.Add(m);
                    continue;
                }

                bool terminated = Kernel32.TerminateProcess(m.Handle.DangerousGetHandle(), unchecked((uint)exitCode));
                int error = terminated ? 0 : Marshal.GetLastPInvokeError();
                OsKillEventSource.Log.WindowsKill(m.Pid, exitCode, error);
                if (terminated)
                {
                    m.Terminated = true;
                    batch.Add(m);
                    killed.Add(m);
                }
                else if (ProcessWait.HasExited(m.Handle))
                {
                    // TerminateProcess fails with access denied on a process that is exiting.
                    m.Exited = true;
                }
                else
                {
                    errors.Add(OsException.FromWin32(error, WinError.ToErrno(error), "TerminateProcess", $"cannot end pid {m.Pid} to {Purpose()}", m.Pid, exitCode));
                }
            }

            if (errors.Count > 0)
            {
                // What was terminated dies anyway; resume the rest rather than leave it suspended.
                errors.AddRange(Thaw());
                throw errors.Count == 1 ? errors[0] : new AggregateException($"Ending the process tree of pid {_rootPid} with exit code {exitCode} failed.", errors);
            }

            List<Member> left = await WaitForExitAsync(batch, deadline, cancellationToken).ConfigureAwait(false);
            if (left.Count > 0)
            {
                return left;
            }

            if (WalkRound(CanFreeze) == 0)
            {
                return left;
            }
        }
    }

    /// <summary>
    /// <paramref name="live"/> with its console hosts (conhost.exe) moved to the end, the order kept
    /// otherwise: ended before the others, a host can end the processes waiting on its console with
    /// exit code 0 before TerminateProcess reaches them (see <see cref="ConsoleHosts"/>).
    /// </summary>
    private static List<Member> ConsoleHostsLast(List<Member> live)
    {
        List<Member> hosts = live.Count < 2 ? [] : live.FindAll(m => ConsoleHosts.IsConsoleHost(m.Handle));
        if (hosts.Count == 0)
        {
            return live;
        }

        List<Member> ordered = live.FindAll(m => !hosts.Contains(m));
        ordered.AddRange(hosts);
        return ordered;
    }

    /// <summary>
    /// Waits until every live member has exited, walking again each time they all have, until a walk
    /// finds no new live member (true) or <paramref name="deadline"/> passes (false).
    /// </summary>
    private async Task<bool> WaitUntilGoneAsync(long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            List<Member> left = await WaitForExitAsync(Live(), deadline, cancellationToken).ConfigureAwait(false);
            if (left.Count > 0)
            {
                return false;
            }

            if (WalkRound(freeze: false) == 0)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Sends the console event to the root's console (or the first live member's, once the root has
    /// exited). Returns false when no member was alive to receive it.
    /// </summary>
    private bool SendConsoleEvent(int sig, string paramName)
    {
        List<Member> live = Live();
        foreach (Member target in live)
        {
            RefuseOutsiders(target, live, sig, paramName);

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
    /// A console event reaches every process attached to the console. When the target is on our
    /// console we can list them: refuse if any is outside the tree (other than the caller, which
    /// <see cref="ConsoleControl.Send"/> never interrupts). Another console cannot be listed from here.
    /// </summary>
    private void RefuseOutsiders(Member target, List<Member> live, int sig, string paramName)
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

    /// <summary>
    /// Waits until every member of <paramref name="batch"/> has exited: first a check that does not
    /// block, then, only if some still run, a wait on a pool thread. Returns those still running at the deadline.
    /// </summary>
    private static async Task<List<Member>> WaitForExitAsync(List<Member> batch, long deadline, CancellationToken cancellationToken)
    {
        List<SafeHandle> handles = batch.ConvertAll(m => (SafeHandle)m.Handle);
        List<int> pending = HandleWait.WaitAll(handles, Stopwatch.GetTimestamp(), cancellationToken);
        if (pending.Count > 0 && deadline > Stopwatch.GetTimestamp())
        {
            List<SafeHandle> still = pending.ConvertAll(i => handles[i]);
            List<int> left = await Task.Run(() => HandleWait.WaitAll(still, deadline, cancellationToken), cancellationToken).ConfigureAwait(false);
            pending = left.ConvertAll(i => pending[i]);
        }

        var running = new List<Member>(pending.Count);
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
}
