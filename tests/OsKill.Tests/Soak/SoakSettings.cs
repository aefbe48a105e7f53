using System.Globalization;

namespace OsKill.Tests.Soak;

/// <summary>
/// How long the soak runs, from which seed, with how many workers. OSKILL_SOAK_SEED=n replays a run
/// (each worker's sequence of operations follows from the seed; the interleaving of the workers
/// does not), OSKILL_SOAK_SECONDS=n runs longer, OSKILL_SOAK_WORKERS=n changes the number of workers.
/// </summary>
internal sealed record SoakSettings(int Seed, TimeSpan Duration, int Workers, bool SeedGiven)
{
    /// <summary>The default time spent on random operations: each target framework runs the soak, so the whole takes about twice this plus the set-up.</summary>
    internal static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(20);

    internal static SoakSettings FromEnvironment()
    {
        int? seed = Number("OSKILL_SOAK_SEED");
        int? seconds = Number("OSKILL_SOAK_SECONDS");
        int? workers = Number("OSKILL_SOAK_WORKERS");
        return new SoakSettings(
            seed ?? Random.Shared.Next(1, int.MaxValue),
            seconds is int s ? TimeSpan.FromSeconds(s) : DefaultDuration,
            Math.Clamp(workers ?? Math.Min(4, 2 * Environment.ProcessorCount), 1, 16),
            seed is not null);
    }

    /// <summary>The random source of worker <paramref name="worker"/> (0 is the warm-up's).</summary>
    internal Random RandomFor(int worker) => new(unchecked((Seed * 7919) + worker));

    /// <summary>The command line that replays this run.</summary>
    internal string Replay =>
        string.Create(CultureInfo.InvariantCulture, $"OSKILL_SOAK_SEED={Seed} OSKILL_SOAK_SECONDS={(int)Duration.TotalSeconds} dotnet test --project tests/OsKill.Tests -- --filter-class \"{typeof(SoakTests).FullName}\"");

    private static int? Number(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : null;
}
