using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace OsKill.Tests.Soak;

/// <summary>
/// One run of the soak: a warm-up that does each kind of operation once (so that what the runtime
/// and the library make on first use exists before the count), a snapshot of the test host's
/// descriptors and threads, <see cref="SoakSettings.Workers"/> workers doing random operations
/// until the time is up, and the leak checks at the end.
/// </summary>
internal sealed class SoakRun(SoakSettings settings, Action<string> log)
{
    /// <summary>The kinds of operation, with their weights.</summary>
    private static readonly (string Kind, int Weight)[] Kinds =
    [
        ("signal", 3), ("waits", 3), ("stop", 3), ("tree-kill", 5), ("tree-stop", 5), ("container", 3), ("exhausted", 5), ("first-wait", 1),
    ];

    private readonly ConcurrentQueue<string> _cgroups = new();
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private ExhaustionServer? _server;

    internal Findings Findings { get; } = new(log);

    /// <summary>How many operations of each kind ran.</summary>
    internal IReadOnlyDictionary<string, int> Counts => _counts;

    internal async Task RunAsync(CancellationToken cancellationToken)
    {
        VetoPlan.Install();
        _ = Trees.Forker;
        var clock = Stopwatch.StartNew();
        await using (_server = new ExhaustionServer())
        {
            // The test child warms up meanwhile; the first operation out of descriptors waits for it.
            Task starting = _server.StartAsync();
            Random warm = settings.RandomFor(0);
            foreach ((string kind, _) in Kinds)
            {
                await RunOneAsync($"warm-up {kind}", kind, warm);
            }

            await starting;
            log($"warm-up done after {clock.Elapsed.TotalSeconds:0.0} s");
            if (_server.WarmUpPoolDeaths > 0)
            {
                log($"the thread pool ended {_server.WarmUpPoolDeaths} server(s) in their warm-up with few descriptors free (the runtime's limit, not the library's); each was replaced");
            }

            var before = Resources.Take();
            DateTime end = DateTime.UtcNow + settings.Duration;
            await Task.WhenAll(Enumerable.Range(1, settings.Workers).Select(w => Task.Run(() => WorkAsync(w, end, cancellationToken), CancellationToken.None)));
            log($"workers done after {clock.Elapsed.TotalSeconds:0.0} s");
            CheckHostLeaks(before);
        }

        CheckServerLeaks(_server);
        foreach (string path in _cgroups.Where(Directory.Exists))
        {
            Findings.Violation("end", $"the cgroup {path} of a disposed container is still there");
        }

        log($"soak done after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task WorkAsync(int worker, DateTime end, CancellationToken cancellationToken)
    {
        Random random = settings.RandomFor(worker);
        int total = Kinds.Sum(k => k.Weight);
        for (int n = 1; DateTime.UtcNow < end && !cancellationToken.IsCancellationRequested; n++)
        {
            int pick = random.Next(total);
            string kind = Kinds.SkipWhile(k => (pick -= k.Weight) >= 0).First().Kind;
            await RunOneAsync(string.Create(CultureInfo.InvariantCulture, $"w{worker}#{n}"), kind, random);
        }
    }

    /// <summary>Runs one operation; a failure of the soak's own machinery (a tree that would not start) is a violation as well.</summary>
    private async Task RunOneAsync(string id, string kind, Random random)
    {
        // Each operation gets its own random source, seeded from the worker's, so that one
        // operation's choices do not shift with how many numbers another drew.
        var op = new Operation($"{id} {kind}", new Random(random.Next()), Findings);
        _counts.AddOrUpdate(kind, 1, (_, c) => c + 1);
        try
        {
            await (kind switch
            {
                "signal" => SingleProcessOps.SignalAsync(op),
                "waits" => SingleProcessOps.WaitsAsync(op),
                "stop" => SingleProcessOps.StopAsync(op),
                "tree-kill" => TreeOps.KillAsync(op),
                "tree-stop" => TreeOps.StopAsync(op),
                "container" => ProcessContainer.IsSupported ? ContainerOps.RunAsync(op, _cgroups.Enqueue) : Task.CompletedTask,
                "exhausted" => ExhaustedOps.RunAsync(op, _server!),
                "first-wait" => ExhaustedOps.FirstWaitAsync(op),
                _ => throw new ArgumentException($"no operation {kind}", nameof(kind)),
            });
        }
        catch (Exception e)
        {
            op.Violation($"the soak's operation failed: {e}");
        }

        log(string.Create(CultureInfo.InvariantCulture, $"{op.Id} ({op.Elapsed.TotalMilliseconds:0} ms): {op.Story}"));
    }

    /// <summary>
    /// Pidfds are counted as they are (a pidfd left open until the collector finds its handle is a
    /// leak); the other descriptors after a collection, since a test's Process objects may leave a
    /// pipe to the finalizer (Process.Dispose does not close a stream read synchronously).
    /// </summary>
    private void CheckHostLeaks(Resources before)
    {
        var after = Resources.Take();
        foreach (string leak in after.LeaksSince(before, fdSlack: 100_000, threadSlack: 100_000))
        {
            Findings.Violation("end (test host)", leak);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var collected = Resources.Take();
        foreach (string leak in collected.LeaksSince(before, fdSlack: 4, threadSlack: 4).Where(l => !l.StartsWith("pidfd", StringComparison.Ordinal) && !l.EndsWith("exit watcher threads", StringComparison.Ordinal)))
        {
            Findings.Violation("end (test host)", leak);
        }

        log($"test host: {before.Fds.Count} -> {after.Fds.Count} descriptors ({collected.Fds.Count} after a collection), {before.Threads.Count} -> {collected.Threads.Count} threads (not counting the pool's), {collected.WatcherThreads} exit watcher thread(s)");
    }

    private void CheckServerLeaks(ExhaustionServer server)
    {
        if (server.Leaks.Count == 0)
        {
            Findings.Violation("end (soak-server)", "the last server did not report its leaks (it died)");
        }

        foreach (string leaks in server.Leaks)
        {
            log($"soak-server: {leaks}");
            Dictionary<string, int> n = ExhaustionServer.Numbers(leaks);
            if (n["fds-after"] > n["fds-before"] + 2)
            {
                Findings.Known("leak", "end (soak-server)", $"descriptors leaked in the child that ran out of them: {leaks}");
            }

            if (n["threads-after"] > n["threads-before"] + 2)
            {
                Findings.Violation("end (soak-server)", $"threads leaked in the child that ran out of descriptors: {leaks}");
            }

            if (n["cgroups-left"] > 0)
            {
                Findings.Violation("end (soak-server)", $"cgroups of disposed containers left behind: {leaks}");
            }
        }
    }
}
