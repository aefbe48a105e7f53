using System.Runtime.Versioning;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using OsKill.Bench;

[assembly: SupportedOSPlatform("linux")]

// bench/OsKill.Benchmarks [--mode full|quick|smoke] [--artifacts DIR]
// Runs KillBenchmarks in process (InProcessEmitToolchain: no second build) and writes
// DIR/percall.json, plus BenchmarkDotNet's own reports under DIR/bdn.
var args_ = new Args(args);
string mode = args_.Get("--mode", "full");
string artifacts = args_.Artifacts;

Job job = mode switch
{
    "smoke" => Job.Dry.WithIterationCount(1).WithWarmupCount(1).WithInvocationCount(1000).WithUnrollFactor(1),
    "quick" => Job.Default.WithWarmupCount(2).WithIterationCount(5).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)),
    _ => Job.Default.WithWarmupCount(5).WithIterationCount(15).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250)),
};
job = job.WithToolchain(InProcessEmitToolchain.Instance).WithId(mode);

var notes = new List<string>();
ManualConfig config = ManualConfig.CreateEmpty()
    .AddJob(job)
    .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
    .AddLogger(ConsoleLogger.Default)
    .AddExporter(MarkdownExporter.GitHub, JsonExporter.Full)
    .WithArtifactsPath(Path.Combine(artifacts, "bdn"))
    .WithOptions(ConfigOptions.DisableLogFile);

// Mono.Unix: run it only if its native library loads and it accepts signal 0 here.
string? monoProblem = ProbeMonoUnix();
if (monoProblem is not null)
{
    notes.Add("Mono.Unix Syscall.kill was not measured: " + monoProblem);
    Console.WriteLine("# " + notes[^1]);
    config = config.AddFilter(new BenchmarkDotNet.Filters.AnyCategoriesFilter(["mono"]) is var f ? new NotFilter(f) : null!);
}

Summary summary = BenchmarkRunner.Run<KillBenchmarks>(config);
var rows = new List<PerCallRow>();
foreach (BenchmarkReport report in summary.Reports)
{
    string name = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');
    if (report.ResultStatistics is not { } s)
    {
        notes.Add($"{name}: no result ({(report.Success ? "no statistics" : "failed")})");
        continue;
    }

    long? allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
    rows.Add(new PerCallRow(name, report.BenchmarkCase.Descriptor.Baseline, s.Mean, s.Median, s.StandardError, s.StandardDeviation, allocated));
}

Json.Write(Path.Combine(artifacts, "percall.json"), new PerCallResults(mode, job.DisplayInfo + ", in process (InProcessEmitToolchain)", rows, notes));
Console.WriteLine($"wrote {Path.Combine(artifacts, "percall.json")}: {rows.Count} rows");
return rows.Count == summary.BenchmarksCases.Length ? 0 : 1;

static string? ProbeMonoUnix()
{
    try
    {
        int r = Mono.Unix.Native.Syscall.kill(Environment.ProcessId, (Mono.Unix.Native.Signum)0);
        return r == 0 ? null : $"Syscall.kill(self, 0) returned {r} ({Mono.Unix.Native.Stdlib.GetLastError()})";
    }
    catch (Exception e)
    {
        return $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
    }
}

/// <summary>Runs every benchmark the inner filter does not match.</summary>
internal sealed class NotFilter(BenchmarkDotNet.Filters.IFilter inner) : BenchmarkDotNet.Filters.IFilter
{
    public bool Predicate(BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => !inner.Predicate(benchmarkCase);
}
