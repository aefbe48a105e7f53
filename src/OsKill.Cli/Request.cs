using System.Globalization;

namespace OsKill.Cli;

/// <summary>One follow-up of <c>--timeout MS SIG</c>: wait up to MS for the exit, then send SIG.</summary>
internal readonly record struct FollowUp(int Milliseconds, int Signal);

/// <summary>What to send, and to whom: the result of parsing a command line that signals.</summary>
internal sealed class Request
{
    public required int Signal { get; init; }

    public int? QueueValue { get; init; }

    public IReadOnlyList<FollowUp> FollowUps { get; init; } = [];

    public bool Verbose { get; init; }

    public required IReadOnlyList<string> Targets { get; init; }

    /// <summary>A canonical text of every field, for comparing two parses in tests (not ToString, which NativeAOT keeps in every image).</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"signal={Signal} queue={QueueValue?.ToString(CultureInfo.InvariantCulture) ?? "-"} timeouts=[{string.Join(",", FollowUps.Select(f => $"{f.Milliseconds}:{f.Signal}"))}] verbose={Verbose} targets=[{string.Join(",", Targets)}]");
}

/// <summary>What every way into oskill shares: its name, the default signal, and what this OS cannot do.</summary>
internal static class Rules
{
    internal const string Name = "oskill";

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
