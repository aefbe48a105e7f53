namespace OsKill.Cli;

/// <summary>
/// What every way into oskill shares (the JIT and NativeAOT OsKill.Cli, and the front): its name,
/// the default signal, the internal-error line, and what this OS cannot do.
/// </summary>
internal static class Rules
{
    internal const string Name = "oskill";

    /// <summary>
    /// Reports an exception nobody foresaw (a bug, or something odd the OS did) as one line on
    /// <paramref name="stderr"/>, never a stack trace, and returns status 1.
    /// </summary>
    internal static int InternalError(GuardedWriter stderr, Exception e)
    {
        stderr.WriteLine($"{Name}: internal error: {Sender.OneLine(e.Message)}");
        return 1;
    }

    /// <summary>
    /// The end of every run, once every signal has been sent: util-linux's close_stdout. A stdout
    /// that could not be written prints "oskill: write error: REASON" on stderr. Output that failed,
    /// on either stream, turns a status of 0 into 1; 1 and 64 already say that something failed,
    /// and 64 also that some targets were signalled, so they stay (util-linux makes every one 1).
    /// A reader that has gone (EPIPE) is no failure: the writers drop the rest quietly.
    /// </summary>
    internal static int Finish(int status, GuardedWriter stdout, GuardedWriter stderr)
    {
        stdout.Flush();
        if (stdout.Failure is string reason)
        {
            stderr.WriteLine($"{Name}: write error: {reason}");
        }

        stderr.Flush();
        return status == 0 && (stdout.Failure is not null || stderr.Failure is not null) ? 1 : status;
    }

    /// <summary>TERM, by name, since numbers differ by OS.</summary>
    internal static int DefaultSignal => Signal.SIGTERM;

    /// <summary>What this OS cannot do of a request that parsed, as a usage error.</summary>
    internal static string? PlatformCheck(Request request)
    {
        if (request.QueueValue is not null && !OperatingSystem.IsLinux())
        {
            return "--queue needs sigqueue, which only Linux has";
        }

        if (request.QueueValue is not null && request.FollowUps.Count > 0)
        {
            return "--queue and --timeout cannot be combined: the follow-ups go through a process handle, which has no sigqueue";
        }

        if (request.RequireHandler && !OperatingSystem.IsLinux())
        {
            return "--require-handler reads the handlers in /proc/PID/status, which only Linux has";
        }

        if (request.FollowUps.Count > 0 && !OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            return "--timeout needs process handles: Linux 5.3+ (pidfd) or Windows";
        }

        if (OperatingSystem.IsWindows())
        {
            if (WindowsMapping.ActionFor(request.Signal) == WindowsAction.Unsupported)
            {
                return "signal 1 cannot be sent on Windows: it is no signal there, and oskill cannot end a process with exit code 1";
            }

            if (request.FollowUps.Count > 0 && WindowsMapping.StopStepSignal(request.Signal) is null)
            {
                return $"--timeout cannot start with {WindowsMapping.Describe(request.Signal)} on Windows";
            }

            foreach (FollowUp f in request.FollowUps)
            {
                if (WindowsMapping.StopStepSignal(f.Signal) is null)
                {
                    return $"--timeout cannot send signal {f.Signal} on Windows";
                }
            }
        }

        return null;
    }
}
