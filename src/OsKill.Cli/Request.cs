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

    /// <summary><c>-p</c>: print the pid of each target, send nothing.</summary>
    public bool PrintPids { get; init; }

    /// <summary><c>-r</c>: signal only processes that have a handler for the signal.</summary>
    public bool RequireHandler { get; init; }

    /// <summary><c>-a</c>: a name matches processes of every user, not only the caller's.</summary>
    public bool AllUsers { get; init; }

    public required IReadOnlyList<string> Targets { get; init; }

    /// <summary>A canonical text of every field, for comparing two parses in tests (not ToString, which NativeAOT keeps in every image).</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"signal={Signal} queue={QueueValue?.ToString(CultureInfo.InvariantCulture) ?? "-"} timeouts=[{string.Join(",", FollowUps.Select(f => $"{f.Milliseconds}:{f.Signal}"))}] verbose={Verbose} pids={PrintPids} handler={RequireHandler} all={AllUsers} targets=[{string.Join(",", Targets)}]");
}
