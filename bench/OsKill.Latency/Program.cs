using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json;
using CliWrap;
using OsKill;
using OsKill.Bench;

[assembly: SupportedOSPlatform("linux")]

// bench/OsKill.Latency [--mode full|quick|smoke] [--runs N] [--warmup N] [--tree-runs N] [--artifacts DIR]
//
// Stop latency. Each run starts the C child artifacts/bench/bin/exit_stamp, which writes the
// CLOCK_MONOTONIC instant just before it calls _exit(2) ("exit" mode: after a delay of its own;
// "term" mode: in its SIGTERM/SIGINT handler). The harness reads the same clock when the awaited call
// returns. "after exit" is return minus stamp: it includes the kernel's own exit work for the child.
// "from send" is the return minus the instant just before the call that stops the child, for the
// cases that stop it. The methods take turns run by run, so that load on the machine hits them alike;
// the first --warmup runs of each are dropped (JIT, thread pool growth).
//
// Then the grandchildren table: a bash child that runs `sleep 30 &` and waits, stopped by each
// method; how many processes carrying the run's marker in their environment are alive 200 ms later.
var opts = new Args(args);
string mode = opts.Get("--mode", "full");
int runs = opts.Int("--runs", mode switch { "smoke" => 3, "quick" => 20, _ => 300 });
int warmup = opts.Int("--warmup", mode == "smoke" ? 1 : 5);
int treeRuns = opts.Int("--tree-runs", mode == "full" ? 3 : 1);
string stampChild = opts.Helper("exit_stamp");
string work = Directory.CreateTempSubdirectory("oskill-latency-").FullName;
const int ExitDelayMs = 30;

var cases = new (string Name, Func<int, Task<(double? AfterExitUs, double? FromSendUs)>> Run)[]
{
    ("ProcessHandle.WaitForExitAsync", HandleWaitAsync),
    ("Process.WaitForExitAsync", ProcessWaitAsync),
    ("ProcessHandle.StopAsync (SIGTERM, handled)", HandleStopAsync),
    ("Process.Kill() + WaitForExitAsync", ProcessKillAsync),
    ("CliWrap graceful cancellation (SIGINT, handled)", CliWrapGracefulAsync),
};

Dictionary<string, List<double>> afterExit = cases.ToDictionary(c => c.Name, _ => new List<double>());
Dictionary<string, List<double>> fromSend = cases.ToDictionary(c => c.Name, _ => new List<double>());
Dictionary<string, int> failures = cases.ToDictionary(c => c.Name, _ => 0);
var firstError = new Dictionary<string, string>();
Console.WriteLine($"# latency: {runs} runs (+{warmup} warm-up) of {cases.Length} methods, taking turns");
for (int i = 0; i < runs + warmup; i++)
{
    foreach ((string? name, Func<int, Task<(double? AfterExitUs, double? FromSendUs)>>? run) in cases)
    {
        try
        {
            (double? exit, double? send) = await run(i);
            if (i >= warmup)
            {
                if (exit is double e)
                {
                    afterExit[name].Add(e);
                }

                if (send is double s)
                {
                    fromSend[name].Add(s);
                }
            }
        }
        catch (Exception e)
        {
            failures[name]++;
            firstError.TryAdd(name, $"{e.GetType().Name}: {e.Message}");
        }
    }
}

var results = new List<LatencyCase>();
foreach ((string? name, Func<int, Task<(double? AfterExitUs, double? FromSendUs)>> _) in cases)
{
    firstError.TryGetValue(name, out string? note);
    if (afterExit[name].Count > 0)
    {
        results.Add(Case(name, "exit", afterExit[name], failures[name], note));
    }

    if (fromSend[name].Count > 0)
    {
        results.Add(Case(name, "send", fromSend[name], failures[name], note));
    }

    if (afterExit[name].Count == 0 && fromSend[name].Count == 0)
    {
        results.Add(Case(name, "exit", [], failures[name], note ?? "no sample"));
    }
}

// The floor: a C parent blocked in poll(2) on its forked child's pidfd, no .NET involved.
try
{
    Process floor = Process.Start(new ProcessStartInfo(stampChild) { ArgumentList = { "floor", (runs + warmup).ToString(CultureInfo.InvariantCulture), ExitDelayMs.ToString(CultureInfo.InvariantCulture) }, RedirectStandardOutput = true })!;
    string json = await floor.StandardOutput.ReadToEndAsync();
    await floor.WaitForExitAsync();
    List<double> samples = [.. JsonDocument.Parse(json).RootElement.GetProperty("samples_us").EnumerateArray().Select(e => e.GetDouble()).Skip(warmup)];
    results.Add(Case("C: poll(2) on the child's pidfd (floor)", "exit", samples, 0, "fork, not exec: the child is a copy of the small C parent"));
}
catch (Exception e)
{
    results.Add(Case("C: poll(2) on the child's pidfd (floor)", "exit", [], 1, e.Message));
}

foreach (LatencyCase c in results)
{
    Console.WriteLine($"{c.Name,-50} from {c.From,-4}  n={c.SamplesUs.Count,4}  median {c.MedianUs,9:0.0} us  p90 {c.P90Us,9:0.0} us  p99 {c.P99Us,9:0.0} us  failures {c.Failures}{(c.Note is null ? "" : "  (" + c.Note + ")")}");
}

List<GrandchildRow> grandchildren = await GrandchildrenAsync(treeRuns);
foreach (GrandchildRow g in grandchildren)
{
    Console.WriteLine($"{g.Method,-50} left alive {string.Join(",", g.LeftAlive)}  in {string.Join(",", g.ElapsedMs.Select(m => m.ToString("0.0", CultureInfo.InvariantCulture)))} ms{(g.Note is null ? "" : "  (" + g.Note + ")")}");
}

string output = Path.Combine(opts.Artifacts, "latency.json");
Json.Write(output, new LatencyResults(mode, runs, warmup, results, grandchildren));
Console.WriteLine($"wrote {output}");
Directory.Delete(work, recursive: true);
return failures.Values.Sum() == 0 ? 0 : 1;

static LatencyCase Case(string name, string from, List<double> us, int failures, string? note) => new(
    name, from, us, Stats.Percentile(us, 50), Stats.Percentile(us, 90), Stats.Percentile(us, 99), failures, note);

// ---- the five methods -------------------------------------------------------------------------

async Task<(double?, double?)> HandleWaitAsync(int i)
{
    string stamp = StampPath(i);
    using Process p = Start("exit", ExitDelayMs, stamp);
    using var h = ProcessHandle.FromProcess(p);
    await h.WaitForExitAsync();
    long back = Clock.NowNs();
    return (Us(back - ReadStamp(stamp)), null);
}

async Task<(double?, double?)> ProcessWaitAsync(int i)
{
    string stamp = StampPath(i);
    using Process p = Start("exit", ExitDelayMs, stamp);
    await p.WaitForExitAsync();
    long back = Clock.NowNs();
    return (Us(back - ReadStamp(stamp)), null);
}

async Task<(double?, double?)> HandleStopAsync(int i)
{
    string stamp = StampPath(i);
    using Process p = Start("term", 30, stamp);
    WaitUntilHandling(p.Id);
    using var h = ProcessHandle.FromProcess(p);
    long sent = Clock.NowNs();
    StopResult r = await h.StopAsync();
    long back = Clock.NowNs();
    if (!r.Exited || r.StepIndex != 0)
    {
        throw new InvalidOperationException($"StopAsync: exited {r.Exited}, step {r.StepIndex}");
    }

    return (Us(back - ReadStamp(stamp, Signal.SIGTERM)), Us(back - sent));
}

async Task<(double?, double?)> ProcessKillAsync(int i)
{
    using Process p = Start("exit", 30_000, StampPath(i));
    long sent = Clock.NowNs();
    p.Kill();
    await p.WaitForExitAsync();
    long back = Clock.NowNs();
    return (null, Us(back - sent));
}

async Task<(double?, double?)> CliWrapGracefulAsync(int i)
{
    string stamp = StampPath(i);
    using var forceful = new CancellationTokenSource();
    using var graceful = new CancellationTokenSource();
    CommandTask<CommandResult> task = Cli.Wrap(stampChild)
        .WithArguments(["term", "30", stamp])
        .WithValidation(CommandResultValidation.None)
        .ExecuteAsync(forceful.Token, graceful.Token);
    WaitUntilHandling(task.ProcessId);
    long sent = Clock.NowNs();
    graceful.Cancel();
    try
    {
        await task;
        throw new InvalidOperationException("CliWrap returned without throwing OperationCanceledException");
    }
    catch (OperationCanceledException)
    {
    }

    long back = Clock.NowNs();
    return (Us(back - ReadStamp(stamp, Signal.SIGINT)), Us(back - sent));
}

// ---- helpers ----------------------------------------------------------------------------------

string StampPath(int i) => Path.Combine(work, $"stamp-{i}-{Guid.NewGuid():N}");

Process Start(string childMode, int n, string stamp) => Process.Start(new ProcessStartInfo(stampChild)
{
    ArgumentList = { childMode, n.ToString(CultureInfo.InvariantCulture), stamp },
    UseShellExecute = false,
})!;

static double Us(long ns) => ns / 1000.0;

// "NS SIG": the child's CLOCK_MONOTONIC stamp, and the signal it handled (0: none). A stop case
// checks that the signal was the one the method is documented to send.
static long ReadStamp(string path, int expectedSignal = 0)
{
    string[] f = File.ReadAllText(path).Trim().Split(' ');
    int sig = int.Parse(f[1], CultureInfo.InvariantCulture);
    return sig == expectedSignal
        ? long.Parse(f[0], CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"the child handled signal {sig}, not {expectedSignal}");
}

// The child has installed its handlers once /proc/PID/status shows SIGINT (bit 1) and SIGTERM
// (bit 14) in SigCgt: only then is a signal sure to be handled rather than to kill it.
static void WaitUntilHandling(int pid)
{
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < TimeSpan.FromSeconds(5))
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("SigCgt:", StringComparison.Ordinal)
                && (ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0x4002) == 0x4002)
            {
                return;
            }
        }

        Thread.Sleep(1);
    }

    throw new TimeoutException($"pid {pid} did not install its SIGTERM and SIGINT handlers within 5 s");
}

// ---- grandchildren ----------------------------------------------------------------------------

async Task<List<GrandchildRow>> GrandchildrenAsync(int reps)
{
    var methods = new List<(string Name, Func<Process?, CancellationTokenSource?, CancellationTokenSource?, Task> Stop, bool ViaCliWrap)>
    {
        ("Process.Kill()", (p, _, _) => { p!.Kill(); return p.WaitForExitAsync(); }, false),
        ("Process.Kill(entireProcessTree: true)", (p, _, _) => { p!.Kill(entireProcessTree: true); return p.WaitForExitAsync(); }, false),
        ("CliWrap graceful cancellation (SIGINT)", (_, graceful, _) => { graceful!.Cancel(); return Task.CompletedTask; }, true),
        ("CliWrap forceful cancellation", (_, _, forceful) => { forceful!.Cancel(); return Task.CompletedTask; }, true),
        ("Process.StopAsync() (OsKill: the child alone)", (p, _, _) => p!.StopAsync(), false),
        ("Process.StopTreeAsync() (OsKill)", (p, _, _) => p!.StopTreeAsync(), false),
        ("ProcessTree.KillAsync(pid) (OsKill)", (p, _, _) => ProcessTree.KillAsync(p!.Id), false),
    };

    var rows = new List<GrandchildRow>();
    foreach ((string? name, Func<Process?, CancellationTokenSource?, CancellationTokenSource?, Task>? stop, bool viaCliWrap) in methods)
    {
        var left = new List<int>();
        var elapsed = new List<double>();
        string? note = null;
        for (int rep = 0; rep < reps; rep++)
        {
            string marker = "g" + Guid.NewGuid().ToString("N")[..12];
            try
            {
                (int l, double ms) = await StopBashTreeAsync(marker, stop, viaCliWrap);
                left.Add(l);
                elapsed.Add(ms);
            }
            catch (Exception e)
            {
                note ??= $"{e.GetType().Name}: {e.Message}";
            }
            finally
            {
                ProcScan.KillAll(ProcScan.WithEnvironment("OSKILL_BENCH_MARK", marker));
            }
        }

        rows.Add(new GrandchildRow(name, left, elapsed, note));
    }

    return rows;
}

static async Task<(int Left, double Ms)> StopBashTreeAsync(string marker, Func<Process?, CancellationTokenSource?, CancellationTokenSource?, Task> stop, bool viaCliWrap)
{
    const string Script = "sleep 30 & wait";
    long t0;
    if (viaCliWrap)
    {
        using var forceful = new CancellationTokenSource();
        using var graceful = new CancellationTokenSource();
        CommandTask<CommandResult> task = Cli.Wrap("bash")
            .WithArguments(["-c", Script])
            .WithEnvironmentVariables(e => e.Set("OSKILL_BENCH_MARK", marker))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(forceful.Token, graceful.Token);
        await WaitForMarkedAsync(marker, 2, null);
        t0 = Stopwatch.GetTimestamp();
        await stop(null, graceful, forceful);

        // Graceful cancellation waits for the exit; give up (forcefully) after 3 s.
        forceful.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }
    else
    {
        var psi = new ProcessStartInfo("bash") { ArgumentList = { "-c", Script }, UseShellExecute = false };
        psi.Environment["OSKILL_BENCH_MARK"] = marker;
        using Process p = Process.Start(psi)!;
        await WaitForMarkedAsync(marker, 2, p);
        t0 = Stopwatch.GetTimestamp();
        await stop(p, null, null);
        await p.WaitForExitAsync();
    }

    double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    await Task.Delay(200);
    return (ProcScan.WithEnvironment("OSKILL_BENCH_MARK", marker).Count(s => s.IsAlive), ms);
}

static async Task WaitForMarkedAsync(string marker, int count, Process? bash)
{
    var sw = Stopwatch.StartNew();
    List<ProcScan.Seen> seen;
    while ((seen = ProcScan.WithEnvironment("OSKILL_BENCH_MARK", marker)).Count(s => s.IsAlive) < count)
    {
        if (sw.Elapsed > TimeSpan.FromSeconds(15))
        {
            string state = bash is null ? "" : bash.HasExited ? $"; bash {bash.Id} exited ({bash.ExitCode})" : $"; bash {bash.Id} runs";
            throw new TimeoutException($"the bash tree {marker} did not start {count} processes within 15 s: seen {string.Join(" ", seen.Select(s => $"{s.Pid}:{s.State}"))}{state}");
        }

        await Task.Delay(5);
    }
}
