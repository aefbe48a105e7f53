namespace OsKill.Tests;

/// <summary>A test child's "key value" report, up to its "done" line; a missing key fails the test with everything the child printed.</summary>
internal sealed class ChildReport
{
    private readonly Dictionary<string, string> _values;
    private readonly IReadOnlyList<string> _seen;

    private ChildReport(Dictionary<string, string> values, IReadOnlyList<string> seen)
    {
        _values = values;
        _seen = seen;
    }

    public string this[string key] => _values.TryGetValue(key, out string? value)
        ? value
        : throw new Xunit.Sdk.XunitException($"The child reported no \"{key}\"; it printed: [{string.Join(" | ", _seen)}]");

    /// <summary>Runs a mode of the test child, reads its report up to "done", and checks that it exited 0.</summary>
    public static async Task<ChildReport> RunAsync(params string[] args)
    {
        using Child child = await Child.StartAsync(args);
        await child.WaitForLineAsync("done", TimeSpan.FromSeconds(60));
        var values = new Dictionary<string, string>();
        foreach (string line in child.Seen)
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                values[line[..space]] = line[(space + 1)..];
            }
        }

        Assert.Equal(0, await child.WaitForExitAsync());
        return new ChildReport(values, [.. child.Seen]);
    }
}
