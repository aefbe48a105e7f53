using System.Runtime.Versioning;
using OsKill;
using OsKill.Bench;

[assembly: SupportedOSPlatform("linux")]

// bench/OsKill.SupervisionBench [--mode full|quick|smoke] [--size N] [--rounds N] [--start-runs N]
//     [--start-warmup N] [--only kill|start] [--artifacts DIR]
//
// Issue #15, item 3 (see KillBench and StartBench):
//   kill   in each of --rounds rounds, every method of KillBench kills a fixture of its own, in
//          turn: a static tree_node tree of --size sleeping members inside a cgroup; each is timed
//          until the last member has exited (cgroup.events "populated 0") and the call returned,
//          and compared with the raw cgroup.kill write of the same round.
//   start  --start-runs starts of /bin/true on each rung of StartBench, the rungs taking turns.
// Writes artifacts/bench/supervision.json.
var opts = new Args(args);
string mode = opts.Get("--mode", "full");
int size = opts.Int("--size", mode == "smoke" ? 50 : 1000);
int rounds = opts.Int("--rounds", mode switch { "full" => 9, "quick" => 3, _ => 1 });
int startRuns = opts.Int("--start-runs", mode switch { "full" => 200, "quick" => 50, _ => 10 });
int startWarmup = opts.Int("--start-warmup", mode == "smoke" ? 2 : 10);
string only = opts.Get("--only", "");
string output = Path.Combine(opts.Artifacts, "supervision.json");

if (!ProcessContainer.IsSupported)
{
    Console.WriteLine("# ProcessContainer is not supported here (no writable cgroup v2): nothing measured");
    Json.Write(output, new SupervisionResults(mode, size, 0, 0, "ProcessContainer is not supported on this machine (no writable cgroup v2)", [], []));
    return 0;
}

string sibling;
using (var probe = new ProcessContainer())
{
    sibling = probe.CgroupPath!;
}

var kill = new List<KillCase>();
if (only is "" or "kill")
{
    var bench = new KillBench(opts.Helper("tree_node"), sibling);
    Console.WriteLine($"# kill: {rounds} rounds of {KillBench.Methods.Length} methods on {size} sleeping members (warm-up: one round on 20)");
    foreach (string method in KillBench.Methods)
    {
        _ = await bench.RunAsync(method, 20, 0);
    }

    Dictionary<string, List<KillRun>> runs = KillBench.Methods.ToDictionary(m => m, _ => new List<KillRun>());
    Console.WriteLine("round  method                                                              before   return ms    gone ms  reached  left");
    for (int round = 1; round <= rounds; round++)
    {
        foreach (string method in KillBench.Methods)
        {
            KillRun r = await bench.RunAsync(method, size, round);
            runs[method].Add(r);
            Console.WriteLine($"{round,5}  {method,-66} {r.Before,7} {r.ReturnMs,10:0.00} {r.GoneMs,10:0.00} {r.Killed,8} {r.Survivors,5}  {r.Note}");
        }
    }

    List<KillRun> raw = runs[KillBench.Raw];
    foreach (string method in KillBench.Methods)
    {
        List<KillRun> mine = runs[method];
        double[] gone = [.. mine.Select(r => r.GoneMs)];
        double[] ratios = [.. mine.Select((r, i) => r.GoneMs / raw[i].GoneMs)];
        kill.Add(new KillCase(method, method == KillBench.Raw, mine, Stats.Percentile(gone, 50), gone.Min(), gone.Max(), Stats.Percentile(ratios, 50), ratios.Min(), ratios.Max()));
        Console.WriteLine($"# {method}: median {Stats.Percentile(gone, 50):0.00} ms ({gone.Min():0.00}-{gone.Max():0.00}); against the raw write, median of the rounds' ratios {Stats.Percentile(ratios, 50):0.00}× ({ratios.Min():0.00}-{ratios.Max():0.00})");
    }
}

var start = new List<StartCase>();
if (only is "" or "start")
{
    using var container = new ProcessContainer();
    using var cgroup = BenchCgroup.CreateBeside(sibling);
    Console.WriteLine($"# start: {startRuns} runs of each rung after {startWarmup} warm-ups, the rungs taking turns");
    DirectoryInfo fifos = Directory.CreateTempSubdirectory("oskill-bench-fifo-");
    try
    {
        start = new StartBench(container, cgroup, fifos.FullName).Run(startRuns, startWarmup);
    }
    finally
    {
        fifos.Delete(recursive: true);
    }

    double baseline = start[0].MedianUs;
    for (int i = 0; i < start.Count; i++)
    {
        StartCase c = start[i];
        string delta = i == 0 ? "" : $", +{c.MedianUs - start[i - 1].MedianUs:0} µs over the rung before";
        Console.WriteLine($"# {c.Name}: median {c.MedianUs:0} µs (p10 {c.P10Us:0}, p90 {c.P90Us:0}), {c.MedianUs / baseline:0.00}× the baseline{delta}");
    }
}

Json.Write(output, new SupervisionResults(mode, size, rounds, startRuns, null, kill, start));
Console.WriteLine($"wrote {output}");
return 0;
