using System.Text.Json;

namespace OsKill.Bench;

/// <summary>artifacts/bench/machine.json, written by bench/run.sh.</summary>
internal sealed record Machine(string Mode, string Command, string Date, string Cpu, int Cores, string Kernel, string Dotnet, string Gcc, string Python, string LoadAtStart, string? Commit);

/// <summary>Everything one run of bench/run.sh left in artifacts/bench.</summary>
internal sealed record Results(
    Machine? Machine,
    PerCallResults? PerCall,
    FloorResult? FloorC,
    FloorResult? FloorPython,
    LatencyResults? Latency,
    TreeResults? Tree,
    string? CliMarkdown,
    SupervisionResults? Supervision,
    string? SupervisionCliMarkdown,
    List<string> Problems)
{
    public static Results Load(string dir)
    {
        var problems = new List<string>();
        T? Read<T>(string name)
            where T : class
        {
            try
            {
                T? value = Json.Read<T>(Path.Combine(dir, name));
                if (value is null)
                {
                    problems.Add($"{name}: missing");
                }

                return value;
            }
            catch (JsonException e)
            {
                problems.Add($"{name}: {e.Message}");
                return null;
            }
        }

        string cli = Path.Combine(dir, "cli.md");
        string supervisionCli = Path.Combine(dir, "supervision-cli.md");
        return new Results(
            Read<Machine>("machine.json"),
            Read<PerCallResults>("percall.json"),
            Read<FloorResult>("floor-c.json"),
            Read<FloorResult>("floor-python.json"),
            Read<LatencyResults>("latency.json"),
            Read<TreeResults>("tree.json"),
            File.Exists(cli) ? File.ReadAllText(cli) : null,
            Read<SupervisionResults>("supervision.json"),
            File.Exists(supervisionCli) ? File.ReadAllText(supervisionCli) : null,
            problems);
    }

    /// <summary>The baseline row of the per-call table: Os.Kill(pid, 0).</summary>
    public PerCallRow? Baseline => PerCall?.Rows.FirstOrDefault(r => r.Baseline);
}
