using System.Globalization;
using OsKill.Tests.Infrastructure;

namespace OsKill.Tests.Soak;

/// <summary>
/// The test child's soak-server mode (tests/OsKill.TestChild/SoakServer.cs), which runs an
/// operation with only a few descriptors free, one at a time, on a process of the test host's.
/// The test host's own descriptor limit is never lowered.
/// </summary>
internal sealed class ExhaustionServer : IAsyncDisposable
{
    private static readonly TimeSpan WarmLimit = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ResultLimit = Operation.HangLimit + TimeSpan.FromSeconds(60);

    private readonly Child _child;
    private readonly SemaphoreSlim _gate = new(1);
    private int _next;

    private ExhaustionServer(Child child) => _child = child;

    /// <summary>What the server said about its own descriptors, threads and cgroups when it quit.</summary>
    internal string? Leaks { get; private set; }

    internal static async Task<ExhaustionServer> StartAsync()
    {
        Child child = await Child.StartAsync("soak-server");
        try
        {
            await child.WaitForLineAsync("warm", WarmLimit);
        }
        catch
        {
            child.Dispose();
            throw;
        }

        return new ExhaustionServer(child);
    }

    /// <summary>Runs <paramref name="operation"/> on <paramref name="pid"/> with <paramref name="free"/> descriptors free; the server's outcome line ("ok ...", "threw TYPE errno=N MESSAGE", "hang").</summary>
    internal async Task<string> RunAsync(string operation, int free, int pid)
    {
        await _gate.WaitAsync();
        try
        {
            string id = (++_next).ToString(CultureInfo.InvariantCulture);
            await _child.Process.StandardInput.WriteLineAsync($"{id} {operation} {free} {pid}");
            await _child.Process.StandardInput.FlushAsync();
            string prefix = $"result {id} ";
            string line = await _child.WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), ResultLimit);
            return line[prefix.Length..];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Asks the server to quit, and keeps its leak report.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _gate.WaitAsync();
            await _child.Process.StandardInput.WriteLineAsync("quit");
            await _child.Process.StandardInput.FlushAsync();
            string leaks = await _child.WaitForLineAsync(l => l.StartsWith("leaks ", StringComparison.Ordinal), ResultLimit);
            Leaks = leaks["leaks ".Length..];
            await _child.WaitForLineAsync("done");
            await _child.WaitForExitAsync();
        }
        finally
        {
            _child.Dispose();
            _gate.Dispose();
        }
    }

    /// <summary>The numbers of the leak report, by name ("fds-before" and so on).</summary>
    internal static Dictionary<string, int> Numbers(string leaks) =>
        leaks.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(word => word.Split('='))
            .ToDictionary(kv => kv[0], kv => int.Parse(kv[1], CultureInfo.InvariantCulture));
}
