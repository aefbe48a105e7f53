using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using OsKill;
using OsKill.Bench;

[assembly: SupportedOSPlatform("linux")]

// bench/OsKill.TreeBench [--mode full|quick|smoke] [--sizes 10,100,1000] [--kinds static,forking]
//     [--reps N] [--dotnet-reps N] [--dotnet-reps-large N] [--dotnet-max-size N] [--container-max-size N]
//     [--container-reps N] [--no-container] [--cap SECONDS]
//     [--settle MS] [--leaf-ms MS] [--nap-ms MS] [--artifacts DIR]
//
// Each run starts artifacts/bench/bin/tree_node (bench/native/tree_node.c: a session of its own,
// hard caps on population, forks, depth and lifetime), waits until the tree has grown (a forking
// tree: to 90% of its size, then while it churns), then kills it with one method and times the
// call. Survivors: members of the tree's session still alive (not zombies) --settle ms after the
// call returned; "at return" counts them at once. Process.Kill(entireProcessTree: true) runs on a
// thread of its own and is given up on after --cap seconds (reported as timed out). After every
// run the harness kills what is left of the session and checks that nothing is.
var opts = new Args(args);
string mode = opts.Get("--mode", "full");
int[] sizes = [.. opts.Get("--sizes", mode == "smoke" ? "10" : "10,100,1000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
string[] kinds = opts.Get("--kinds", "static,forking").Split(',');
int reps = opts.Int("--reps", mode == "full" ? 5 : 1);
int dotnetReps = opts.Int("--dotnet-reps", mode == "full" ? 3 : 1);
int dotnetRepsLarge = opts.Int("--dotnet-reps-large", 1);
int dotnetMaxSize = opts.Int("--dotnet-max-size", mode == "full" ? 1000 : 100);
int containerReps = opts.Int("--container-reps", Math.Min(reps, 3));
int containerMaxSize = opts.Int("--container-max-size", mode == "full" ? 1000 : 100);
double capSeconds = opts.Double("--cap", mode switch { "smoke" => 10, "quick" => 10, _ => 90 });
int settleMs = opts.Int("--settle", 500);
int leafMs = opts.Int("--leaf-ms", 2000);
int napMs = opts.Int("--nap-ms", 100);
string treeNode = opts.Helper("tree_node");

var methods = new List<string> { "ProcessTree.KillAsync" };
if (ProcessContainer.IsSupported && !opts.Has("--no-container"))
{
    methods.Add("ProcessContainer.KillAsync");
}
else
{
    Console.WriteLine("# ProcessContainer is not supported here (no writable cgroup v2): not measured");
}

methods.Add("Process.Kill(entireProcessTree: true)");

Console.WriteLine($"# tree kill: sizes {string.Join(",", sizes)}, kinds {string.Join(",", kinds)}, {reps} runs (ProcessContainer: {containerReps}, up to size {containerMaxSize}; Process.Kill(true): {dotnetReps}, {dotnetRepsLarge} at 1000, up to size {dotnetMaxSize}, cap {capSeconds} s)");
foreach (string method in methods)
{
    await RunOnceAsync(method, "static", 10, warm: true);
}

var cases = new List<TreeCase>();
Console.WriteLine("kind     size  method                                 run        ms  before  killed  rounds  at-return  survivors");
foreach (string kind in kinds)
{
    foreach (int size in sizes)
    {
        foreach (string method in methods)
        {
            bool dotnet = method.StartsWith("Process.", StringComparison.Ordinal);
            if ((dotnet && size > dotnetMaxSize) || (method.StartsWith("ProcessContainer", StringComparison.Ordinal) && size > containerMaxSize))
            {
                continue;
            }

            int n = dotnet ? (size >= 1000 ? dotnetRepsLarge : dotnetReps) : method.StartsWith("ProcessContainer", StringComparison.Ordinal) ? containerReps : reps;
            var runs = new List<TreeRun>();
            for (int rep = 1; rep <= n; rep++)
            {
                TreeRun r = await RunOnceAsync(method, kind, size, warm: false) with { Rep = rep };
                runs.Add(r);
                Console.WriteLine($"{kind,-8} {size,5}  {method,-38} {rep,3}  {r.Ms,8:0.0}{(r.TimedOut ? "+" : " ")} {r.Before,6}  {r.Killed,6}  {r.Rounds,6}  {r.SurvivorsAtReturn,9}  {r.Survivors,9}{(r.Error is null ? "" : "  " + r.Error)}");
            }

            double[] ms = [.. runs.Select(r => r.Ms)];
            cases.Add(new TreeCase(method, kind, size, runs, Stats.Percentile(ms, 50), ms.Max(), runs.Max(r => r.Survivors)));
        }
    }
}

string output = Path.Combine(opts.Artifacts, "tree.json");
Json.Write(output, new TreeResults(mode, capSeconds, settleMs, $"leaf life {leafMs / 2}-{leafMs * 3 / 2} ms, members look for room every {napMs / 2}-{napMs * 3 / 2} ms", cases));
Console.WriteLine($"wrote {output}");
return 0;

async Task<TreeRun> RunOnceAsync(string method, string kind, int size, bool warm)
{
    bool dotnet = method.StartsWith("Process.", StringComparison.Ordinal);
    int lifetime = (int)Math.Min(600, 60 + (dotnet ? capSeconds : 0));
    var psi = new ProcessStartInfo(treeNode)
    {
        ArgumentList = { kind, Str(size), Str(lifetime), Str(leafMs), Str(napMs) },
        UseShellExecute = false,
    };
    using ProcessContainer? container = method == "ProcessContainer.KillAsync" ? new ProcessContainer() : null;
    using Process root = container is null ? Process.Start(psi)! : container.Start(psi);
    int sid = root.Id;
    try
    {
        int before = await GrowAsync(sid, kind, size);
        int? killed = null, rounds = null;
        string? error = null;
        bool timedOut = false;
        var sw = Stopwatch.StartNew();
        if (!dotnet)
        {
            TreeKillResult result = container is null ? await ProcessTree.KillAsync(sid) : await container.KillAsync();
            killed = result.KilledCount;
            rounds = container is null ? result.Rounds : null;
        }
        else
        {
            Task kill = Task.Factory.StartNew(() => root.Kill(entireProcessTree: true), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (await Task.WhenAny(kill, Task.Delay(TimeSpan.FromSeconds(capSeconds))) != kill)
            {
                timedOut = true;
                error = $"gave up after {capSeconds} s";
                await SweepAsync(sid);
            }

            try
            {
                await kill.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (Exception e)
            {
                error ??= $"{e.GetType().Name}: {e.Message}";
            }
        }

        double ms = timedOut ? capSeconds * 1000 : sw.Elapsed.TotalMilliseconds;
        int atReturn = Alive(sid);
        await Task.Delay(settleMs);
        int survivors = timedOut ? -1 : Alive(sid);
        return new TreeRun(0, ms, before, killed, rounds, atReturn, survivors, timedOut, error);
    }
    finally
    {
        await SweepAsync(sid);
        await root.WaitForExitAsync();
    }
}

static string Str(int i) => i.ToString(CultureInfo.InvariantCulture);

static int Alive(int sid) => ProcScan.Session(sid, "tree_node").Count(p => p.IsAlive);

// Waits until the tree has grown: a static tree to its size exactly, a forking one to 90% of it,
// and then half a leaf's life more, so that it churns when the kill starts.
async Task<int> GrowAsync(int sid, string kind, int size)
{
    var sw = Stopwatch.StartNew();
    int target = kind == "static" ? size : (int)Math.Ceiling(size * 0.9);
    int alive;
    while ((alive = Alive(sid)) < target)
    {
        if (sw.Elapsed > TimeSpan.FromSeconds(60))
        {
            throw new TimeoutException($"the {kind} tree of {size} reached only {alive} processes in 60 s");
        }

        await Task.Delay(20);
    }

    if (kind != "static")
    {
        await Task.Delay(leafMs / 2);
        alive = Alive(sid);
    }

    return alive;
}

// Kills everything left in the session: the process group first (every member is in the root's
// group), then each member by pid, until none is alive; throws if that takes more than 30 s.
static async Task SweepAsync(int sid)
{
    var sw = Stopwatch.StartNew();
    while (true)
    {
        List<ProcScan.Seen> left = [.. ProcScan.Session(sid, "tree_node").Where(p => p.IsAlive)];
        if (left.Count == 0)
        {
            return;
        }

        if (sw.Elapsed > TimeSpan.FromSeconds(30))
        {
            throw new InvalidOperationException($"{left.Count} members of session {sid} are still alive after 30 s of SIGKILL");
        }

        _ = Native.kill(-sid, 9);
        ProcScan.KillAll(left);
        await Task.Delay(50);
    }
}
