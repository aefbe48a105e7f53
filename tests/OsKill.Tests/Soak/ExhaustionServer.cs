using System.Globalization;

namespace OsKill.Tests.Soak;

/// <summary>
/// The test child's soak-server mode (tests/OsKill.TestChild/SoakServer.cs), which runs an
/// operation with only a few descriptors free, one at a time, on a process of the test host's.
/// The test host's own descriptor limit is never lowered. A server that dies is a finding (the
/// operation that was running says how it died), and the next operation starts a new one.
/// </summary>
internal sealed class ExhaustionServer : IAsyncDisposable
{
    private const int WarmUpAttempts = 3;
    private static readonly TimeSpan WarmLimit = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ResultLimit = Operation.HangLimit + TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _gate = new(1);
    private readonly List<string> _leaks = [];
    private Child? _child;
    private int _next;

    /// <summary>What each server said about its own descriptors, threads and cgroups when it quit.</summary>
    internal IReadOnlyList<string> Leaks => _leaks;

    /// <summary>How many servers died under an operation.</summary>
    internal int Deaths { get; private set; }

    /// <summary>How many servers the thread pool's limit ended during their warm-up (each was replaced).</summary>
    internal int WarmUpPoolDeaths { get; private set; }

    /// <summary>Starts the first server (so that its warm-up overlaps with the test host's).</summary>
    internal async Task StartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _child ??= await StartChildAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on <paramref name="pid"/> with <paramref name="free"/>
    /// descriptors free; the server's outcome line ("ok ...", "threw TYPE errno=N MESSAGE",
    /// "hang"), or "died ..." with the server's exit status and the end of its stderr.
    /// </summary>
    internal async Task<string> RunAsync(string operation, int free, int pid)
    {
        await _gate.WaitAsync();
        try
        {
            _child ??= await StartChildAsync();
            string id = (++_next).ToString(CultureInfo.InvariantCulture);
            try
            {
                await _child.Process.StandardInput.WriteLineAsync($"{id} {operation} {free} {pid}");
                await _child.Process.StandardInput.FlushAsync();
                string prefix = $"result {id} ";
                string line = await _child.WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), ResultLimit);
                return line[prefix.Length..];
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // Its output closed (or its input broke): it died. Say how, and start afresh next time.
                Child dead = _child;
                _child = null;
                Deaths++;
                dead.Process.WaitForExit(10_000);
                string status = dead.Process.HasExited ? dead.Process.ExitCode.ToString(CultureInfo.InvariantCulture) : "(still running)";
                string stderr = await StderrOfAsync(dead);
                dead.Dispose();
                // Its stderr first: it says why it died, and a long report is cut at its end.
                return $"died with exit status {status}; {stderr}; ({e.Message.ReplaceLineEndings(" ")})";
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Asks the server to quit, and keeps its leak report.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        Child? child = _child;
        _child = null;
        if (child is not null)
        {
            try
            {
                await child.Process.StandardInput.WriteLineAsync("quit");
                await child.Process.StandardInput.FlushAsync();
                string leaks = await child.WaitForLineAsync(l => l.StartsWith("leaks ", StringComparison.Ordinal), ResultLimit);
                _leaks.Add(leaks["leaks ".Length..]);
                await child.WaitForLineAsync("done");
                await child.WaitForExitAsync();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                Deaths++;
            }
            finally
            {
                child.Dispose();
            }
        }

        _gate.Release();
        _gate.Dispose();
    }

    /// <summary>
    /// Whether a server died of the .NET thread pool's own unhandled OutOfMemoryException: its gate
    /// thread cannot start a worker with fewer than 2 descriptors free, and nothing catches that
    /// (a runtime limit, whatever the program does). Any other death, or one with a frame of the
    /// library on the stack, is a finding.
    /// </summary>
    internal static bool DiedOfThePool(string died) =>
        died.Contains("unhandled: System.OutOfMemoryException", StringComparison.Ordinal) &&
        died.Contains("at System.Threading.Thread.StartCore() |    at System.Threading.PortableThreadPool.", StringComparison.Ordinal) &&
        !died.Replace("at OsKill.TestChild.", string.Empty, StringComparison.Ordinal).Contains("at OsKill.", StringComparison.Ordinal);

    /// <summary>The numbers of a leak report, by name ("fds-before" and so on); the "new:FD->TARGET" words are for the reader.</summary>
    internal static Dictionary<string, int> Numbers(string leaks) =>
        leaks.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(word => !word.StartsWith("new:", StringComparison.Ordinal))
            .Select(word => word.Split('='))
            .ToDictionary(kv => kv[0], kv => int.Parse(kv[1], CultureInfo.InvariantCulture));

    /// <summary>The end of a dead child's stderr, as <see cref="Child"/> tells it in the exception for a line that never came.</summary>
    private static async Task<string> StderrOfAsync(Child dead)
    {
        try
        {
            await dead.WaitForLineAsync(_ => false, TimeSpan.FromSeconds(5));
            return "no stderr";
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            int at = e.Message.IndexOf("its stderr ends", StringComparison.Ordinal);
            return at < 0 ? "nothing on stderr" : e.Message[at..];
        }
    }

    /// <summary>
    /// Starts a server without tiered compilation. With it, the runtime starts the JIT's background
    /// worker whenever methods get hot (and lets it end when idle); a thread cannot start with fewer
    /// than 2 descriptors free, and the runtime then ends the process with "Out of memory." (seen in
    /// CI, during the warm-up under a shortage). That is the runtime's limit, not the library's: with
    /// every method compiled once, on the thread that calls it, no such thread is needed.
    /// </summary>
    /// <remarks>
    /// The warm-up runs every operation with 2 and 3 descriptors free, and the pool can die of its
    /// limit there too (seen in CI under load): such a server is a pool death like one under an
    /// operation, and a new one is started, up to <see cref="WarmUpAttempts"/> in all. Any other
    /// death in the warm-up fails the run.
    /// </remarks>
    private async Task<Child> StartChildAsync()
    {
        for (int attempt = 1; ; attempt++)
        {
            Child child = await Child.StartWrappedAsync(["env", "DOTNET_TieredCompilation=0"], ["soak-server"]);
            try
            {
                await child.WaitForLineAsync("warm", WarmLimit);
                return child;
            }
            catch (InvalidOperationException e) when (attempt < WarmUpAttempts && DiedOfThePool(e.Message.ReplaceLineEndings(" ")))
            {
                WarmUpPoolDeaths++;
                child.Dispose();
            }
            catch
            {
                child.Dispose();
                throw;
            }
        }
    }
}
