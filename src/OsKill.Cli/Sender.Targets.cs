using System.Globalization;
using System.Runtime.Versioning;
using System.Text;

namespace OsKill.Cli;

/// <summary>
/// The targets only the full binary takes (the front hands these command lines over): NAME and
/// PID:INODE targets, <c>-p</c>, <c>-r</c> and <c>--timeout</c>.
/// </summary>
/// <remarks>
/// A process found by name, checked with <c>-r</c> or named by PID:INODE is pinned first: oskill
/// opens a pidfd for the pid, only then reads /proc (name, owner, handlers) or the pidfd's inode,
/// and sends through the pidfd. If the pid was reused in between, /proc may describe the newcomer,
/// but the pidfd still names the process that was opened, which has exited: the signal fails with
/// "No such process" and reaches nobody else. util-linux reads /proc and then kill(2)s the pid.
/// </remarks>
internal sealed partial class Sender
{
    /// <summary>What a target that is not a plain number is.</summary>
    internal enum TargetKind
    {
        /// <summary>A command name.</summary>
        Name,

        /// <summary>PID:INODE, both decimal and from 1.</summary>
        PidInode,

        /// <summary>Digits and a colon, but no valid PID:INODE.</summary>
        BadPidInode,
    }

    /// <summary>
    /// Reads a target that is not a plain number (<see cref="TryParseTarget"/> comes first):
    /// PID:INODE when it is digits, a colon and digits; a NAME unless it starts with digits and a
    /// colon, which is taken as a PID:INODE that is wrong.
    /// </summary>
    internal static TargetKind Classify(string target, out int pid, out ulong inode)
    {
        pid = 0;
        inode = 0;
        int colon = target.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || target.AsSpan(0, colon).IndexOfAnyExceptInRange('0', '9') >= 0)
        {
            return TargetKind.Name;
        }

        ReadOnlySpan<char> inodeText = target.AsSpan(colon + 1);
        return inodeText.Length > 0
            && inodeText.IndexOfAnyExceptInRange('0', '9') < 0
            && int.TryParse(target.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out pid) && pid > 0
            && ulong.TryParse(inodeText, NumberStyles.None, CultureInfo.InvariantCulture, out inode) && inode > 0
                ? TargetKind.PidInode
                : TargetKind.BadPidInode;
    }

    // The full binary's loop: each target in turn; the --timeout chains, once every target is
    // resolved, side by side.
    private void RunAll(Request request)
    {
        var stops = new List<Task<bool>>();
        foreach (string target in request.Targets)
        {
            if (TryParseTarget(target, out int pid))
            {
                ByNumber(request, target, pid, stops);
                continue;
            }

            switch (Classify(target, out pid, out ulong inode))
            {
                case TargetKind.PidInode:
                    if (OperatingSystem.IsLinux())
                    {
                        _ = Pinned(request, target, pid, inode, null, stops);
                    }
                    else
                    {
                        Count(Fail(request, target, "PID:INODE targets need pidfds, which only Linux has"));
                    }

                    break;
                case TargetKind.BadPidInode:
                    Count(Fail(request, target, "not a PID:INODE (both are decimal numbers from 1; INODE is the inode of a pidfd for PID)"));
                    break;
                default:
                    ByName(request, target, stops);
                    break;
            }
        }

        foreach (bool ok in Task.WhenAll(stops).GetAwaiter().GetResult())
        {
            Count(ok);
        }
    }

    // A number: a pid, a process group (negative), 0 or -1.
    private void ByNumber(Request request, string target, int pid, List<Task<bool>> stops)
    {
        if (request.RequireHandler)
        {
            if (pid <= 0)
            {
                Count(Fail(request, target, "--require-handler needs a process id, not a process group"));
            }
            else if (OperatingSystem.IsLinux())
            {
                _ = Pinned(request, target, pid, 0, null, stops);
            }
            else
            {
                Count(Fail(request, target, "--require-handler reads /proc, which only Linux has"));
            }
        }
        else if (request.PrintPids)
        {
            // util-linux prints a number as it is, without looking for the process.
            Out(pid.ToString(CultureInfo.InvariantCulture));
            Count(true);
        }
        else if (request.FollowUps.Count > 0)
        {
            if (pid <= 0)
            {
                Count(Fail(request, target, "--timeout needs a process id, not a process group"));
            }
            else if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
            {
                try
                {
                    stops.Add(StopAsync(request, target, ProcessHandle.Open(pid)));
                }
                catch (OsException e)
                {
                    Count(Fail(request, target, Reason(e)));
                }
            }
            else
            {
                Count(Fail(request, target, "--timeout needs process handles, which this OS does not have"));
            }
        }
        else
        {
            Count(SendToTarget(request, target));
        }
    }

    // A NAME: every process with that command name (of the caller's uid unless -a), oskill excepted.
    private void ByName(Request request, string name, List<Task<bool>> stops)
    {
        if (!OperatingSystem.IsLinux())
        {
            Count(Fail(request, name, "process names are looked up in /proc, which only Linux has: give a pid"));
            return;
        }

        bool found = false;
        foreach (int pid in LinuxProcesses.Named(name, request.AllUsers))
        {
            found |= Pinned(request, string.Create(CultureInfo.InvariantCulture, $"{name}, pid {pid}"), pid, 0, name, stops);
        }

        if (!found)
        {
            string message = $"cannot find process \"{name}\"";
            if (request.Verbose && !request.PrintPids)
            {
                Out(message);
            }

            Error(Encoding.UTF8.GetByteCount(name) > LinuxProcesses.MaxNameBytes
                ? $"{message} (a process name has at most {LinuxProcesses.MaxNameBytes} bytes)"
                : message);
            Count(false);
        }
    }

    /// <summary>
    /// Opens a pidfd for <paramref name="pid"/>, checks what the target asks for through it (the
    /// pidfd's inode, the name, a handler), then prints the pid, sends the signal through the
    /// pidfd, or hands the pidfd to a --timeout chain. Counts and reports the outcome. Returns
    /// false only for a NAME's candidate that turns out not to be one (it has exited, or its name
    /// or owner changed): the name has not been matched by it.
    /// </summary>
    [SupportedOSPlatform("linux")]
    private bool Pinned(Request request, string target, int pid, ulong inode, string? name, List<Task<bool>> stops)
    {
        ProcessHandle handle;
        try
        {
            handle = ProcessHandle.Open(pid);
        }
        catch (ProcessLookupException) when (name is not null)
        {
            return false;
        }
        catch (OsException e)
        {
            Count(Fail(request, target, Reason(e), pid));
            return true;
        }

        bool handedOver = false;
        try
        {
            if (inode != 0)
            {
                ulong? actual = LinuxProcesses.PidfdInode(handle.SafeHandle, out string? problem);
                if (actual != inode)
                {
                    string reason = actual is ulong other
                        ? string.Create(CultureInfo.InvariantCulture, $"No such process: the pidfd inode of pid {pid} is {other}")
                        : problem!;
                    Count(Fail(request, target, reason, pid));
                    return true;
                }
            }

            if (name is not null && !LinuxProcesses.HasName(pid, name, request.AllUsers))
            {
                return false;
            }

            if (request.RequireHandler && request.Signal != 0)
            {
                ulong? caught = LinuxProcesses.Caught(pid);
                if (caught is null)
                {
                    return Vanished(request, target, pid, name);
                }

                if ((caught.Value & (1UL << (request.Signal - 1))) == 0)
                {
                    // util-linux: skipped, neither signalled nor failed; said only with -v.
                    if (request.Verbose)
                    {
                        Out($"not signalling pid {pid}, it has no userspace handler for signal {SignalCatalog.Describe(request.Signal)}");
                    }

                    return true;
                }
            }

            if (request.PrintPids)
            {
                // Alive, without signal 0, which another user's process would refuse (EPERM).
                if (!handle.IsAlive)
                {
                    return Vanished(request, target, pid, name);
                }

                Out(pid.ToString(CultureInfo.InvariantCulture));
                Count(true);
                return true;
            }

            if (request.FollowUps.Count > 0)
            {
                stops.Add(StopAsync(request, target, handle));
                handedOver = true;
                return true;
            }

            if (request.QueueValue is int value)
            {
                // sigqueue takes a pid: the library has no sigqueue through a pidfd (a PID:INODE
                // with --queue is refused as a usage error for that reason).
                Signal.Queue(pid, request.Signal, value);
            }
            else
            {
                Os.Kill(handle.SafeHandle, request.Signal);
            }

            Sent(request, pid);
            Count(true);
            return true;
        }
        catch (OsException e)
        {
            Count(Fail(request, target, Reason(e), pid));
            return true;
        }
        finally
        {
            if (!handedOver)
            {
                handle.Dispose();
            }
        }
    }

    // A pinned process that has exited since it was opened: for a NAME, no longer one of its
    // processes (false: not a match); for any other target, a failure.
    private bool Vanished(Request request, string target, int pid, string? name)
    {
        if (name is not null)
        {
            return false;
        }

        Count(Fail(request, target, "No such process", pid));
        return true;
    }

    // --timeout: StopAsync sends each signal through the handle and waits; the handle is ours to close.
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    private async Task<bool> StopAsync(Request request, string target, ProcessHandle handle)
    {
        using (handle)
        {
            var steps = new List<StopStep>();
            for (int i = 0; i <= request.FollowUps.Count; i++)
            {
                int sig = i == 0 ? request.Signal : request.FollowUps[i - 1].Signal;
                int wait = i < request.FollowUps.Count ? request.FollowUps[i].Milliseconds : 0;
                steps.Add(StopStep.SendSignal(StepSignal(sig), TimeSpan.FromMilliseconds(wait)));
            }

            StopResult result;
            try
            {
                result = await handle.StopAsync(new StopOptions(steps)).ConfigureAwait(false);
            }
            catch (OsException e)
            {
                return Fail(request, target, Reason(e), handle.Pid);
            }

            if (request.Verbose)
            {
                Out(DescribeStop(request, handle.Pid, result));
            }

            return true;
        }
    }

    private static int StepSignal(int sig) =>
        OperatingSystem.IsWindows() ? WindowsMapping.StopStepSignal(sig) ?? sig : sig;

    // What StopAsync did, as util-linux's verbose lines: the signals sent, then the exit if seen.
    private static string DescribeStop(Request request, int pid, StopResult result)
    {
        if (result.Outcome == StopOutcome.AlreadyExited)
        {
            return $"pid {pid} had already exited: nothing sent";
        }

        int sent = result.StepIndex is int last ? last + 1 : request.FollowUps.Count + 1;
        var lines = new List<string> { $"{Sending(request.Signal, null, pid)}: ok" };
        for (int i = 1; i < sent; i++)
        {
            FollowUp f = request.FollowUps[i - 1];
            lines.Add($"timeout after {f.Milliseconds} ms, {Sending(f.Signal, null, pid)}: ok");
        }

        if (result.Exited)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"pid {pid} exited after {(long)result.Elapsed.TotalMilliseconds} ms"));
        }

        return string.Join(Environment.NewLine, lines);
    }
}
