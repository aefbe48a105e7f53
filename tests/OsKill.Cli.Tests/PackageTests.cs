using System.Text.Json;
using OsKill.Cli.Tests.Infrastructure;

namespace OsKill.Cli.Tests;

/// <summary>What the built tool carries: the files a dotnet tool package is made of.</summary>
public class PackageTests
{
    [Fact]
    public void The_tool_rolls_forward_to_a_later_major_runtime()
    {
        // A dotnet tool runs on the shared runtime: with rollForward Major, the net10.0 build
        // starts on a machine that has only .NET 11.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(OsKillRun.Dll, ".runtimeconfig.json")));
        Assert.Equal("Major", config.RootElement.GetProperty("runtimeOptions").GetProperty("rollForward").GetString());
    }

    [Fact]
    public void The_tool_carries_no_translations()
    {
        // SatelliteResourceLanguages=en: System.CommandLine's resources (cs/, de/, ... ja/) are
        // not part of the tool. The deps file lists what the tool is made of (a stale directory
        // from an older build may still lie next to the dll; the deps file is rewritten by each).
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(OsKillRun.Dll, ".deps.json")));
        var libraries = deps.RootElement.GetProperty("targets").EnumerateObject().SelectMany(t => t.Value.EnumerateObject()).ToList();
        Assert.Contains(libraries, l => l.Name.StartsWith("System.CommandLine/", StringComparison.Ordinal));
        Assert.All(libraries, l => Assert.False(l.Value.TryGetProperty("resources", out _), $"{l.Name} brings resources"));
    }
}
