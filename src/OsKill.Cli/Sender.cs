using System.Diagnostics;
using System.Globalization;

namespace OsKill.Cli;

/// <summary>Sends a <see cref="Request"/>'s signal to each target and tells what happened.</summary>
internal sealed class Sender(TextWriter stdout, TextWriter stderr)
{
    private readonly Lock _gate = new();

    /// <summary>Signals every target; returns util-linux's status: 0 all succeeded, 1 all failed, 64 some failed.</summary>
    internal int Run(Request request)
    {
        int failures = 0;
        if (request.FollowUps.Count > 0)
        {
#if OSKILL_FRONT
            // The fast front binary only takes the plain shapes; escalation lives in the full one.
            throw new InvalidOperationException("--timeout reached the front binary");
#else
            // Each target's chain runs on its own: ten processes with a 5 s grace take 5 s, not 50.
            bool[] results = Task.WhenAll(request.Targets.Select(t => StopAsync(request, t))).GetAwaiter().GetResult();
            failures = results.Count(ok => !ok);
#endif
        }
        else
        {
            foreach (string target in request.Targets)
            {
                if (!Send(request, target))
                {
                    failures++;
                }
            }
        }

        return failures == 0 ? 0 : failures == request.Targets.Count ? 1 : 64;
    }

    /// <summary>
    /// A target as kill(1) reads it: a decimal number, negative for a process group. Signs other
    /// than a leading '-', spaces and other digits are refused.
    /// </summary>
    internal static bool TryParseTarget(string text, out int pid)
    {
        pid = 0;
        ReadOnlySpan<char> digits = text.StartsWith('-') ? text.AsSpan(1) : text;
        return !digits.IsEmpty
            && digits.IndexOfAnyExceptInRange('0', '9') < 0
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out pid);
    }

    private bool Send(Request request, string target)
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

        if (request.Verbose)
        {
            Out($"{Sending(request.Signal, request.QueueValue, pid)}: ok");
        }

        return true;
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
                    using (ProcessHandle handle = ProcessHandle.Open(pid))
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

#if !OSKILL_FRONT
    // --timeout: open a handle, then let StopAsync send each signal through it and wait.
    private async Task<bool> StopAsync(Request request, string target)
    {
        if (!TryParseTarget(target, out int pid))
        {
            return Fail(request, target, "not a process id");
        }

        if (pid <= 0)
        {
            return Fail(request, target, "--timeout needs a process id, not a process group");
        }

        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            return Fail(request, target, "--timeout needs process handles, which this OS does not have");
        }

        var steps = new List<StopStep>();
        for (int i = 0; i <= request.FollowUps.Count; i++)
        {
            int sig = i == 0 ? request.Signal : request.FollowUps[i - 1].Signal;
            int wait = i < request.FollowUps.Count ? request.FollowUps[i].Milliseconds : 0;
            steps.Add(new StopStep(StepSignal(sig), TimeSpan.FromMilliseconds(wait)));
        }

        StopResult result;
        try
        {
            using ProcessHandle handle = ProcessHandle.Open(pid);
            result = await handle.StopAsync(new StopOptions(steps)).ConfigureAwait(false);
        }
        catch (OsException e)
        {
            return Fail(request, target, Reason(e));
        }

        if (request.Verbose)
        {
            Out(DescribeStop(request, pid, result));
        }

        return true;
    }

    private static int StepSignal(int sig) =>
        OperatingSystem.IsWindows() ? WindowsMapping.StopStepSignal(sig) ?? sig : sig;

    // What StopAsync did, as util-linux's verbose lines: the signals sent, then the exit if seen.
    private static string DescribeStop(Request request, int pid, StopResult result)
    {
        if (result.AlreadyExited)
        {
            return $"pid {pid} had already exited: nothing sent";
        }

        int sent = result.Exited && result.StepIndex is int last ? last + 1 : request.FollowUps.Count + 1;
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
#endif

    private bool Fail(Request request, string target, string reason)
    {
        if (request.Verbose)
        {
            string what = TryParseTarget(target, out int pid) ? Sending(request.Signal, request.QueueValue, pid) : $"cannot signal '{target}'";
            Out($"{what}: {reason}");
        }

        lock (_gate)
        {
            stderr.WriteLine($"{Rules.Name}: ({target}): {reason}");
        }

        return false;
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
