using System.Globalization;

namespace OsKill.Cli;

/// <summary>
/// Sends a <see cref="Request"/>'s signal to each target and tells what happened. This part is
/// shared with the front, which only ever passes plain decimal pids; the full binary's NAME,
/// PID:INODE, <c>-p</c>, <c>-r</c> and <c>--timeout</c> are in Sender.Targets.cs.
/// </summary>
internal sealed partial class Sender(TextWriter stdout, TextWriter stderr)
{
    private readonly Lock _gate = new();
    private int _signalled;
    private int _failed;

    /// <summary>
    /// Signals every target; returns util-linux's status, counted by process: 0 when some were
    /// signalled and none failed, 1 when none was signalled (all failed, or -r skipped them all),
    /// 64 when some were signalled and some failed.
    /// </summary>
    internal int Run(Request request)
    {
#if OSKILL_FRONT
        foreach (string target in request.Targets)
        {
            Count(SendToTarget(request, target));
        }
#else
        RunAll(request);
#endif
        lock (_gate)
        {
            return _signalled > 0 && _failed == 0 ? 0 : _signalled == 0 ? 1 : 64;
        }
    }

    /// <summary>
    /// A target as kill(1) reads it: a decimal number, negative for a process group. Signs other
    /// than a leading '-', spaces and other digits are refused.
    /// </summary>
    internal static bool TryParseTarget(string text, out int pid) => StrictDecimal.TryParse(text, out pid);

    private void Count(bool signalled)
    {
        lock (_gate)
        {
            if (signalled)
            {
                _signalled++;
            }
            else
            {
                _failed++;
            }
        }
    }

    // A plain number: kill(2) (or sigqueue, or the Windows mapping) by pid.
    private bool SendToTarget(Request request, string target)
    {
        if (!TryParseTarget(target, out int pid))
        {
            return Fail(request, target, "not a process id");
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                string? problem = SendOnWindows(pid, request.Signal);
                if (problem is not null)
                {
                    return Fail(request, target, problem);
                }
            }
            else if (request.QueueValue is int value && OperatingSystem.IsLinux())
            {
                Signal.Queue(pid, request.Signal, value);
            }
            else
            {
                Os.Kill(pid, request.Signal);
            }
        }
        catch (OsException e)
        {
            return Fail(request, target, Reason(e));
        }

        Sent(request, pid);
        return true;
    }

    // -v: "sending signal 15 (TERM) to pid 1234: ok".
    private void Sent(Request request, int pid)
    {
        if (request.Verbose)
        {
            Out($"{Sending(request.Signal, request.QueueValue, pid)}: ok");
        }
    }

    // Windows: INT is Ctrl+C, BREAK is Ctrl+Break, 0 checks, anything else ends the process.
    private static string? SendOnWindows(int pid, int sig)
    {
        if (!OperatingSystem.IsWindows())
        {
            return null;
        }

        if (pid <= 0)
        {
            return "Windows has no process groups to signal: give a process id";
        }

        try
        {
            switch (WindowsMapping.ActionFor(sig))
            {
                case WindowsAction.Probe:
                    using (var handle = ProcessHandle.Open(pid))
                    {
                        return handle.IsAlive ? null : "No such process";
                    }

                case WindowsAction.CtrlC:
                    ConsoleControl.Send(pid, ConsoleEvent.CtrlC);
                    return null;
                case WindowsAction.CtrlBreak:
                    ConsoleControl.Send(pid, ConsoleEvent.CtrlBreak);
                    return null;
                case WindowsAction.Terminate:
                    Os.Kill(pid, sig);
                    return null;
                default:
                    return "signal 1 cannot be sent on Windows";
            }
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Reports a target that failed: "oskill: (TARGET): REASON" on stderr, and with -v the line
    /// "sending signal ... to pid N: REASON" (or "cannot signal 'TARGET': REASON" where there is
    /// no pid) on stdout. <paramref name="pid"/> is the process a NAME or PID:INODE stood for.
    /// </summary>
    private bool Fail(Request request, string target, string reason, int? pid = null)
    {
        if (request.Verbose && !request.PrintPids)
        {
            int? shown = pid ?? (TryParseTarget(target, out int parsed) ? parsed : null);
            string what = shown is int n ? Sending(request.Signal, request.QueueValue, n) : $"cannot signal '{target}'";
            Out($"{what}: {reason}");
        }

        Error($"({target}): {reason}");
        return false;
    }

    private void Error(string message)
    {
        lock (_gate)
        {
            stderr.WriteLine($"{Rules.Name}: {message}");
        }
    }

    private void Out(string line)
    {
        lock (_gate)
        {
            stdout.WriteLine(line);
        }
    }

    /// <summary>The OS's words for the error, as kill(1) prints them: "No such process".</summary>
    private static string Reason(OsException e) => e.OsMessage ?? OneLine(e.Message);

    internal static string OneLine(string text)
    {
        int end = text.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? text : text[..end];
    }

    /// <summary>"sending signal 15 (TERM) to pid 1234", "... to process group 77", Windows: "sending Ctrl+C to pid 1234".</summary>
    internal static string Sending(int sig, int? value, int pid)
    {
        string target = pid switch
        {
            > 0 => $"pid {pid}",
            0 => "pid 0 (oskill's own process group)",
            -1 => "pid -1 (every process oskill may signal)",
            _ => string.Create(CultureInfo.InvariantCulture, $"process group {-(long)pid}"),
        };

        if (OperatingSystem.IsWindows())
        {
            return $"sending {WindowsMapping.Describe(sig)} to {target}";
        }

        string with = value is int v ? string.Create(CultureInfo.InvariantCulture, $" with value {v}") : string.Empty;
        return $"sending signal {SignalCatalog.Describe(sig)}{with} to {target}";
    }
}
