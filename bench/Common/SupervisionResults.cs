namespace OsKill.Bench;

// supervision.json, written by bench/OsKill.SupervisionBench and read by OsKill.Charts (issue #15, item 3).

/// <summary>One kill of one fixture of sleeping members.</summary>
/// <param name="Round">The round: every method ran once in each, on a fixture of its own, in turn.</param>
/// <param name="Before">Members in the cgroup when the kill started.</param>
/// <param name="ReturnMs">From the call to its return (the raw write: to the write's return).</param>
/// <param name="GoneMs">From the call until the call had returned and cgroup.events said "populated 0".</param>
/// <param name="Killed">What the method said it reached (members killed or stopped), where it says.</param>
/// <param name="Survivors">Pids left in cgroup.procs after the wait (0 unless the wait gave up).</param>
internal sealed record KillRun(int Round, int Before, double ReturnMs, double GoneMs, int? Killed, int Survivors, string? Note);

/// <summary>The runs of one method, and its ratio to the raw write in the same rounds.</summary>
/// <param name="RatioMedian">The median over the rounds of this method's time over the raw write's in the same round.</param>
internal sealed record KillCase(string Method, bool Baseline, List<KillRun> Runs, double MedianMs, double MinMs, double MaxMs, double RatioMedian, double RatioMin, double RatioMax);

/// <summary>One rung of the start ladder: start to exit of /bin/true, launched a little more like ProcessContainer.Start at each rung.</summary>
/// <param name="Adds">What this rung adds to the one before.</param>
internal sealed record StartCase(string Name, string Adds, bool Baseline, List<double> SamplesUs, double MedianUs, double P10Us, double P90Us);

/// <summary>supervision.json.</summary>
internal sealed record SupervisionResults(string Mode, int Size, int Rounds, int StartRuns, string? Skipped, List<KillCase> Kill, List<StartCase> Start);
