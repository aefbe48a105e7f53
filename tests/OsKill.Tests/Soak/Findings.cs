using System.Collections.Concurrent;

namespace OsKill.Tests.Soak;

/// <summary>
/// What the soak found: violations (the test fails on them), and defects already filed in issue 17
/// that are being fixed elsewhere (reported, each with a TODO naming the item, but not failed on yet).
/// </summary>
internal sealed class Findings(Action<string> log)
{
    /// <summary>
    /// The issue 17 items that the soak checks but does not fail on yet ("pid": the Build list's
    /// "the messages name the pid"). TODO(issue 17): once the tree code fixes an item, remove it
    /// here, and the soak fails on it again.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> KnownItems = new Dictionary<string, string>
    {
        // Issue 17 items 1, 2, 5 and 6 and the unnamed pid are fixed: the soak fails on them again.
        // "leak" was in part the test child's own: it counted its descriptors before its first read
        // of stdin, which opens one of the console's (a pipe), and before the runtime loaded what the
        // shortage paths use (System.Collections.NonGeneric.dll, 2 descriptors). It counts after both
        // now, and the report names each new descriptor's target. What remains is not explained:
        // seen once in CI, both ends of one pipe (the library makes no pipe on Linux; .NET's
        // Process.Start does, for the container watchdog's stdin).
        // "foreign" is explained and gone: the process was a member that a signal was ending (PF_EXITING,
        // no memory left, reparented to init), whose environment read stopped after 512 bytes, before
        // the marker. The check no longer judges exiting processes, and the soak fails on it again.
        // Found after the restructuring merged, not yet explained: reported with the seed, not failed on.
        ["leak"] = "the test child that ran out of descriptors ends the soak with more descriptors open than it began with (seen in CI: both ends of one pipe)",
    };

    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _known = new();

    internal IReadOnlyCollection<string> Violations => _violations;

    /// <summary>A broken promise: the soak fails.</summary>
    internal void Violation(string op, string what)
    {
        _violations.Enqueue($"{op}: {what}");
        log($"VIOLATION {op}: {what}");
    }

    /// <summary>
    /// A broken promise that issue 17 item <paramref name="item"/> already names; a violation if
    /// that item is not in <see cref="KnownItems"/>.
    /// </summary>
    internal void Known(string item, string op, string what)
    {
        if (KnownItems.ContainsKey(item))
        {
            _known.GetOrAdd(item, _ => new ConcurrentQueue<string>()).Enqueue($"{op}: {what}");
        }
        else
        {
            Violation(op, $"(issue 17 {Label(item)}) {what}");
        }
    }

    /// <summary>"TODO(issue 17 item N)" lines: each known item seen, how often, and its first examples.</summary>
    internal IEnumerable<string> KnownReport(int seed) =>
        _known.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k =>
            $"TODO(issue 17 {Label(k.Key)}, not failed on until the tree code fixes it): {KnownItems[k.Key]}: seen {k.Value.Count} time(s) with OSKILL_SOAK_SEED={seed}, e.g. " +
            string.Join(" || ", k.Value.Take(3)));

    private static string Label(string item) => item switch
    {
        _ when char.IsAsciiDigit(item[0]) => $"item {item}",
        "pid" => "Build list: \"the messages name the pid\"",
        _ => $"soak finding \"{item}\"",
    };

    internal IEnumerable<string> KnownSeen => _known.Keys.Order(StringComparer.Ordinal);
}
