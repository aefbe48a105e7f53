namespace OsKill.Bench;

// The JSON files in artifacts/bench that the harness programs write and OsKill.Charts reads.

/// <summary>percall.json: one BenchmarkDotNet row.</summary>
internal sealed record PerCallRow(string Name, bool Baseline, double MeanNs, double MedianNs, double StdErrNs, double StdDevNs, long? AllocatedBytes);

/// <summary>percall.json.</summary>
internal sealed record PerCallResults(string Mode, string Job, List<PerCallRow> Rows, List<string> Notes);

/// <summary>floor-c.json and floor-python.json, printed by bench/floor/kill_loop.{c,py}.</summary>
internal sealed record FloorResult(string Name, long N, int Reps, double NsPerCall, double Min, List<double> Passes);

/// <summary>latency.json: one way of waiting or stopping, over all its runs.</summary>
/// <param name="Name">What was called.</param>
/// <param name="From">"exit": from the child's CLOCK_MONOTONIC stamp just before _exit to the return; "send": from the call that stops it.</param>
internal sealed record LatencyCase(string Name, string From, List<double> SamplesUs, double MedianUs, double P90Us, double P99Us, int Failures, string? Note);

/// <summary>latency.json: what a stop left alive of a bash child with a background sleep.</summary>
internal sealed record GrandchildRow(string Method, List<int> LeftAlive, List<double> ElapsedMs, string? Note);

/// <summary>latency.json.</summary>
internal sealed record LatencyResults(string Mode, int Runs, int Warmup, List<LatencyCase> Cases, List<GrandchildRow> Grandchildren);

/// <summary>tree.json: one kill of one tree.</summary>
internal sealed record TreeRun(int Rep, double Ms, int Before, int? Killed, int? Rounds, int SurvivorsAtReturn, int Survivors, bool TimedOut, string? Error);

/// <summary>tree.json: the runs of one method on one kind and size of tree.</summary>
internal sealed record TreeCase(string Method, string Kind, int Size, List<TreeRun> Runs, double MedianMs, double MaxMs, int MaxSurvivors);

/// <summary>tree.json.</summary>
internal sealed record TreeResults(string Mode, double CapSeconds, double SettleMs, string Forking, List<TreeCase> Cases);
