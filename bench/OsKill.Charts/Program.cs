using OsKill.Bench;

// bench/OsKill.Charts [--artifacts DIR] [--png DIR] [--md FILE]
// Reads the results in DIR (artifacts/bench): machine.json, percall.json, floor-c.json,
// floor-python.json, latency.json, tree.json, cli.md, supervision.json, supervision-cli.md. Writes the charts to --png (docs/benchmarks)
// and, if --md is given, the page (docs/benchmarks.md). A missing result leaves its section saying so.
var opts = new Args(args);
string artifacts = opts.Artifacts;
string repo = Args.RepoRoot();
string pngDir = Path.GetFullPath(opts.Get("--png", Path.Combine(repo, "docs", "benchmarks")));
string? md = opts.Get("--md", "") is { Length: > 0 } m ? Path.GetFullPath(m) : null;

var results = Results.Load(artifacts);
Directory.CreateDirectory(pngDir);
var charts = new Charts(results, pngDir);
List<string> written = charts.WriteAll();
foreach (string png in written)
{
    Console.WriteLine($"wrote {png}");
}

if (md is not null)
{
    File.WriteAllText(md, new Report(results, written, Path.GetDirectoryName(md)!).Render());
    Console.WriteLine($"wrote {md}");
}

return 0;
