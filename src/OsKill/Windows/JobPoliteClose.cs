using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>
/// The console events of <see cref="JobObjectContainer.Signal"/>: CTRL_C_EVENT is the polite close
/// that suits each member, CTRL_BREAK_EVENT a Ctrl+Break to the console members.
/// </summary>
/// <remarks>
/// <para>Each pid the job lists is opened and checked to be in the job (<see cref="JobMembers"/>);
/// the handles, held until the end, keep the pids from being reused. A member that owns a visible
/// top-level window is a GUI member: CTRL_C_EVENT posts WM_CLOSE to every top-level window it owns
/// (<see cref="WindowClose"/>), as taskkill without /F does. Every other member is a console member:
/// the event goes to its console, and reaches every process attached to that console: once to ours
/// for the members on it, and through one helper process (<see cref="ConsoleEvents.SendToEach"/>)
/// to the others' consoles, in turn, each console once (a member that an earlier event reached, as
/// the helper lists each console before it sends, is not sent to again). A member with no console
/// (AttachConsole says ERROR_INVALID_HANDLE) gets WM_CLOSE on its hidden windows, if it has any,
/// for CTRL_C_EVENT, and is otherwise not reached (the stop's last step ends it). Any other failure
/// for a member still running is thrown, once every member has had its turn. Console
/// hosts (conhost.exe) get nothing: each exits once its last client has. A GUI member attached to a
/// console that an event goes to gets that event too, as every process on the console does.</para>
/// <para>A console event reaches every process on the console: when a console member shares the
/// caller's console, and that console has a process outside the container (other than the caller,
/// which <see cref="ConsoleControl.Send"/> never interrupts), the call is refused before anything is
/// sent, as the tree stop refuses. Another console cannot be listed before the event is sent.</para>
/// <para>Every listed pid is announced (<c>os.kill</c>) before anything is sent to any: a veto sends nothing.</para>
/// </remarks>
[SupportedOSPlatform("windows")]
internal static class JobPoliteClose
{
    /// <summary>How long a console helper may take (it is a copy of this program starting up).</summary>
    private static readonly TimeSpan HelperLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sends <paramref name="signal"/> (CTRL_C_EVENT or CTRL_BREAK_EVENT) to the members of
    /// <paramref name="job"/> among <paramref name="pids"/> (listed just before), and returns those it reached.
    /// </summary>
    internal static List<int> Send(SafeHandle job, List<int> pids, int signal, CancellationToken cancellationToken)
    {
        using var members = JobMembers.Open(job, pids, Kernel32.SYNCHRONIZE);
        var memberPids = members.Opened.Select(m => m.Pid).ToHashSet();
        Dictionary<int, List<WindowClose.TopLevelWindow>> windows = WindowClose.OwnedBy(memberPids);
        var gui = new List<int>();
        var console = new List<(int Pid, SafeProcessHandle Handle)>();
        foreach ((int pid, SafeProcessHandle handle) in members.Opened)
        {
            if (ConsoleHosts.IsConsoleHost(handle))
            {
                continue;
            }

            if (windows.TryGetValue(pid, out List<WindowClose.TopLevelWindow>? own) && own.Exists(w => w.Visible))
            {
                if (signal == WindowsSignals.CtrlCEvent)
                {
                    gui.Add(pid);
                }

                continue;
            }

            console.Add((pid, handle));
        }

        RefuseOutsiders(console, memberPids, signal);
        KillAnnouncement.AnnounceAll(pids, signal, out _);

        var reached = new List<int>();
        foreach (int pid in gui)
        {
            if (WindowClose.Post(pid, windows[pid], signal) > 0)
            {
                reached.Add(pid);
            }
        }

        // The members on our console: one event there reaches them all (RefuseOutsiders has checked
        // that it reaches no one else). The others: one helper, each console once.
        int[] ours = ConsoleEvents.OurConsoleProcesses();
        List<(int Pid, SafeProcessHandle Handle)> onOurs = console.FindAll(m => ours.Contains(m.Pid));
        List<(int Pid, SafeProcessHandle Handle)> elsewhere = console.FindAll(m => !ours.Contains(m.Pid) && !ProcessWait.HasExited(m.Handle));
        if (onOurs.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int[] attached = ConsoleEvents.Send(onOurs[0].Pid, (ConsoleEvent)signal, HelperLimit);
            reached.AddRange(onOurs.Select(m => m.Pid).Where(pid => pid == onOurs[0].Pid || attached.Contains(pid)));
        }

        if (elsewhere.Count == 0)
        {
            return reached;
        }

        cancellationToken.ThrowIfCancellationRequested();
        Dictionary<int, ConsoleEvents.HelperLine> lines = ConsoleEvents.SendToEach([.. elsewhere.Select(m => m.Pid)], (ConsoleEvent)signal, HelperLimit);
        OsException? failure = null;
        foreach ((int pid, SafeProcessHandle handle) in elsewhere)
        {
            ConsoleEvents.HelperLine line = lines[pid];
            if (line.Error == 0)
            {
                reached.Add(pid); // its console got the event: now, or (Same) from an earlier member's
            }
            else if (ProcessWait.HasExited(handle))
            {
                // It exited just now.
            }
            else if (signal == WindowsSignals.CtrlCEvent && line.Error == WinError.ERROR_INVALID_HANDLE && line.Failure.StartsWith("AttachConsole", StringComparison.Ordinal))
            {
                // No console: a windowed program with no visible window, or a detached process.
                if (windows.TryGetValue(pid, out List<WindowClose.TopLevelWindow>? hidden) && WindowClose.Post(pid, hidden, signal) > 0)
                {
                    reached.Add(pid);
                }
            }
            else
            {
                failure ??= Win32Errors.ProcessError(line.Error, "console helper", $"cannot send {OsException.SignalText(signal)} to the console of pid {pid}: {line.Failure}", pid, signal);
            }
        }

        // The others were sent to: the first failure is the caller's to see, after them.
        return failure is null ? reached : throw failure;
    }

    /// <summary>
    /// Refuses, before anything is sent, when a console member is on the caller's console and that
    /// console has a process outside the container (other than the caller).
    /// </summary>
    private static void RefuseOutsiders(List<(int Pid, SafeProcessHandle Handle)> console, HashSet<int> members, int signal)
    {
        int[] ours = ConsoleEvents.OurConsoleProcesses();
        int[] sharing = [.. console.Select(m => m.Pid).Where(ours.Contains)];
        if (sharing.Length == 0)
        {
            return;
        }

        int[] outsiders = [.. ours.Where(pid => pid != Environment.ProcessId && !members.Contains(pid))];
        if (outsiders.Length == 0)
        {
            return;
        }

        throw new ArgumentException(
            $"Refusing to send {OsException.SignalText(signal)} to the process container: pid(s) {string.Join(", ", sharing.Take(20))} share this process's console, " +
            $"and a console event reaches every process attached to it, among them pid(s) {string.Join(", ", outsiders.Take(20))} outside the container. " +
            "Start the members on a console of their own (ProcessStartInfo.CreateNoWindow = true gives a hidden one), " +
            "or send an exit code (TerminateJobObject) instead. Nothing was sent.",
            nameof(signal));
    }
}
