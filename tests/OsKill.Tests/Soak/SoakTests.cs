namespace OsKill.Tests.Soak;

/// <summary>
/// The soak runs alone, after the rest of the assembly: it counts the test host's descriptors and
/// threads, which other tests running beside it would change.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakGroup
{
    public const string Name = "Soak";
}

/// <summary>
/// A seeded, randomized soak of the public API on real process trees (issue 17): several workers
/// start trees and do random operations on them (signals, waits with cancellation, graceful
/// stops, tree kills and stops, containers, Dispose during pending calls, audit hooks that veto,
/// and, in a test child, calls with only 0 to 3 descriptors free), checking after each that the
/// call threw only what it documents, left no survivor where it promised none, left no member
/// stopped, and sent nothing a hook vetoed; and at the end, that no descriptor, thread or cgroup
/// was leaked. The seed is printed first: OSKILL_SOAK_SEED=n replays a run, OSKILL_SOAK_SECONDS=n
/// runs it longer (see <see cref="SoakSettings"/>).
/// </summary>
[Collection(SoakGroup.Name)]
public class SoakTests
{
    [Fact]
    public async Task Random_operations_from_several_workers_keep_every_documented_promise()
    {
        var settings = SoakSettings.FromEnvironment();
        ITestOutputHelper? output = TestContext.Current.TestOutputHelper;
        void Log(string line) => output?.WriteLine(line);
        Log($"soak seed {settings.Seed}{(settings.SeedGiven ? " (from OSKILL_SOAK_SEED)" : string.Empty)}, {settings.Workers} workers, {settings.Duration.TotalSeconds:0} s; replay: {settings.Replay}");

        var run = new SoakRun(settings, Log);
        await run.RunAsync(TestContext.Current.CancellationToken);

        Log("operations: " + string.Join(", ", run.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        foreach (string known in run.Findings.KnownReport(settings.Seed))
        {
            Log(known);
            TestContext.Current.AddWarning(known);
        }

        Assert.True(
            run.Findings.Violations.Count == 0,
            $"The soak with seed {settings.Seed} found {run.Findings.Violations.Count} violation(s); replay: {settings.Replay}{Environment.NewLine}" +
            string.Join(Environment.NewLine, run.Findings.Violations.Take(40)));
    }
}
