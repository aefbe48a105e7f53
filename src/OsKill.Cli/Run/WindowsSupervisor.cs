using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>
/// One run of CMD on Windows: CMD in a job object (the library's <see cref="ProcessContainer"/>,
/// killed when oskill dies), sharing oskill's console, so that Ctrl+C, Ctrl+Break and console close
/// reach it from Windows; oskill survives them and sends nothing again (docs/run.md, "Windows").
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsSupervisor(RunOptions options, TextWriter stderr)
{
    /// <summary>The exit code that KILL gives the job's members: Windows' own for a forced end (Process.Kill, TerminateJobObject at disposal).</summary>
    internal const int KilledExitCode = -1;

    /// <summary>How long a console close or shutdown handler lets CMD stop before oskill returns (Windows ends oskill then, and with it the job).</summary>
    private static readonly TimeSpan s_closeWait = TimeSpan.FromSeconds(10);

    private readonly Action<string>? _log = options.Verbose ? message => stderr.WriteLine($"{Rules.Name} run: {message}") : null;
    private readonly TaskCompletionSource _empty = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// What the options ask for that Windows cannot do, as a usage error naming the option; null
    /// when they can all be done. Checked before anything starts.
    /// </summary>
    internal static string? Refusal(RunOptions options)
    {
        if (options.NoCgroup)
        {
            return "--no-cgroup: not on Windows: there is no cgroup to go without, CMD always runs in a job object";
        }

        if (options.ForwardTo != ForwardTarget.Main)
        {
            return $"--forward-to {(options.ForwardTo == ForwardTarget.Group ? "group" : "all")}: not on Windows: oskill run forwards nothing there (Ctrl+C, Ctrl+Break and console close reach every process on the console it shares with CMD)";
        }

        foreach (ChainStep step in options.Timeout)
        {
            if (ActionFor(step.Signal) is null)
            {
                return $"--timeout: {ExitText.SignalText(step.Signal)} has no meaning on Windows: give INT or TERM (Ctrl+C), BREAK (Ctrl+Break) or KILL (the job terminated)";
            }
        }

        return ActionFor(options.PoliteSignal) is null
            ? $"-s: {ExitText.SignalText(options.PoliteSignal)} has no meaning on Windows: give INT or TERM (Ctrl+C), BREAK (Ctrl+Break) or KILL (the job terminated)"
            : null;
    }

    /// <summary>Runs CMD; returns oskill's exit status.</summary>
    internal int Run()
    {
        using var container = new ProcessContainer();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Received(context, "Ctrl+C"));
        using var breakKey = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context => Received(context, "Ctrl+Break"));
        using var close = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => Closing(context, "the console's close"));
        using var shutdown = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Closing(context, "logoff or shutdown"));

        var start = new ProcessStartInfo(options.Command[0]) { UseShellExecute = false };
        foreach (string arg in options.Command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        Process cmd;
        try
        {
            cmd = container.Start(start);
        }
        catch (Win32Exception e)
        {
            // ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND: nothing to run (127); anything else found
            // but not runnable, such as ERROR_ACCESS_DENIED or ERROR_BAD_EXE_FORMAT (126).
            stderr.WriteLine($"{Rules.Name} run: cannot run '{options.Command[0]}': {Sender.OneLine(e.Message)}");
            return e.NativeErrorCode is 2 or 3 ? 127 : 126;
        }

        using (cmd)
        {
            _log?.Invoke($"CMD is pid {cmd.Id} in a job object, on oskill's console");
            try
            {
                return Supervise(container, cmd);
            }
            finally
            {
                _empty.TrySetResult();
            }
        }
    }

    private int Supervise(ProcessContainer container, Process cmd)
    {
        Task exited = cmd.WaitForExitAsync();
        bool timedOut = false;
        if (options.Timeout.Count > 0 && !StopChains.WaitFor(exited, options.Timeout[0].Delay))
        {
            timedOut = true;
            _log?.Invoke($"timeout after {options.Timeout[0].Delay.TotalMilliseconds:0} ms");
            Stop(container, StopChains.Timeout(options, RunArguments.Kill, Step));
        }

        cmd.WaitForExit();
        int code = cmd.ExitCode;
        _log?.Invoke($"CMD exited: exit code {code}");
        if (container.GetProcessIds().Count > 0)
        {
            _log?.Invoke("CMD left members behind: stopping them");
            Stop(container, StopChains.Leftover(options, RunArguments.Kill, Step));
        }

        return timedOut && !options.PreserveStatus ? RunCommand.TimedOut : code;
    }

    // The chain over the job; a chain's last step is always KILL, so the job is empty afterwards,
    // and KillAsync is there for a result that says otherwise.
    private void Stop(ProcessContainer container, StopOptions chain)
    {
        StopChains.LogSteps(chain, options.KillMode, _log);
        ContainerStopResult result = container.StopAsync(chain, options.KillMode).GetAwaiter().GetResult();
        StopChains.LogResult(result, _log);
        if (!result.Exited)
        {
            TreeKillResult killed = container.KillAsync().GetAwaiter().GetResult();
            _log?.Invoke($"stop: members were left, terminated {killed.KilledCount} with the job");
        }
    }

    // INT and TERM are Ctrl+C to the members, BREAK Ctrl+Break, KILL the job's end with exit code −1.
    private static StopStep Step(int sig, TimeSpan wait) => ActionFor(sig) switch
    {
        WindowsAction.CtrlC => StopStep.SendSignal(Signal.CTRL_C_EVENT, wait),
        WindowsAction.CtrlBreak => StopStep.SendSignal(Signal.CTRL_BREAK_EVENT, wait),
        _ => StopStep.Terminate(KilledExitCode, wait),
    };

    private static WindowsAction? ActionFor(int sig) =>
        sig == RunArguments.Kill ? WindowsAction.Terminate
        : sig == Signal.SIGTERM ? WindowsAction.CtrlC
        : WindowsMapping.ActionFor(sig) is WindowsAction.CtrlC or WindowsAction.CtrlBreak ? WindowsMapping.ActionFor(sig)
        : null;

    // Ctrl+C and Ctrl+Break reach CMD from the console, as they reach oskill: oskill only survives them.
    private void Received(PosixSignalContext context, string what)
    {
        context.Cancel = true;
        _log?.Invoke($"received {what} (CMD has it from the console)");
    }

    // Windows ends oskill when this handler returns (and the job with it): wait for CMD's end first,
    // as long as Windows lets a close handler run.
    private void Closing(PosixSignalContext context, string what)
    {
        context.Cancel = true;
        _log?.Invoke($"received {what} (CMD has it from the console): waiting for the job to empty");
        _ = _empty.Task.Wait(s_closeWait);
    }
}
