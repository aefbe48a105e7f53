using System.Diagnostics;
using System.Threading.Channels;

namespace OsKill.Testing;

/// <summary>
/// A running test child (tests/OsKill.TestChild): starts it, reads its report lines, waits for
/// its exit, and kills it if a test leaves it running.
/// </summary>
public sealed class Child : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();

    private Child(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else
            {
                _lines.Writer.TryWrite(e.Data);
            }
        };
        _process.BeginOutputReadLine();

        // Read by hand, not with BeginErrorReadLine: Process.WaitForExitAsync then waits for the
        // end of stderr too, which a member left running on purpose would hold open.
        StreamReader errors = _process.StandardError;
        _ = Task.Run(async () =>
        {
            try
            {
                while (await errors.ReadLineAsync() is string line)
                {
                    _errors.Enqueue(line);
                    while (_errors.Count > 40 && _errors.TryDequeue(out string? _))
                    {
                    }
                }
            }
            catch (ObjectDisposedException)
            {
                // The test disposed of the child: its stderr is no longer wanted.
            }
        });
    }

    /// <summary>What the child printed so far, and the last lines of its stderr, for failure messages.</summary>
    private string Printed()
    {
        string printed = $"it printed: [{string.Join(" | ", _seen)}]";
        return _errors.IsEmpty ? printed : $"{printed}; its stderr ends: [{string.Join(" | ", _errors)}]";
    }

    /// <summary>coreutils' env, which the tests' children are started through.</summary>
    public const string DefaultSignalsEnv = "/usr/bin/env";

    /// <summary>The path of the built test child.</summary>
    public static string Dll { get; } = Path.GetFullPath(TestAssembly.Metadata("TestChildDll"));

    /// <summary>The dotnet host that runs the child.</summary>
    public static string DotnetHost { get; } = FindDotnet();

    /// <summary>The process id, from the child's own "ready PID" line when it came through a wrapper.</summary>
    public int Pid { get; private set; }

    public Process Process => _process;

    /// <summary>Every line read so far, for failure messages.</summary>
    public IReadOnlyList<string> Seen => _seen;

    /// <summary>Starts the child with these arguments and waits for "ready".</summary>
    public static Task<Child> StartAsync(params string[] args) => StartWrappedAsync([], args);

    /// <summary>Starts the child behind a wrapper command such as setsid or setpriv, and waits for "ready".</summary>
    public static Task<Child> StartWrappedAsync(string[] wrapper, string[] args) =>
        StartCommandAsync([.. wrapper, DotnetHost, Dll, .. args]);

    /// <summary>
    /// Starts any command that follows the child's protocol (prints "ready PID" first), such as a
    /// small python3 receiver, and waits for "ready".
    /// </summary>
    /// <remarks>
    /// The command runs through coreutils' <c>env --default-signal</c>, which puts every signal
    /// back to its default action and unblocks all, so that a test sees the same child whatever
    /// the test host inherited (a background job ignores SIGINT and SIGQUIT, nohup SIGHUP, and
    /// .NET passes SIGPIPE on ignored). The child's own setup (a handler, SIG_IGN) comes after.
    /// </remarks>
    public static async Task<Child> StartCommandAsync(string[] command)
    {
        ProcessStartInfo psi = PipedStartInfo([DefaultSignalsEnv, "--default-signal", .. command]);
        psi.Environment["DOTNET_TC_QuickJitForLoops"] = "1";
        var child = new Child(Process.Start(psi)!);
        string ready = await child.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal));
        child.Pid = int.Parse(ready["ready ".Length..]);
        return child;
    }

    /// <summary>
    /// A start of <paramref name="command"/> (a program and its arguments) with its three standard
    /// streams piped to the test, and a .NET program's start-up quiet and steady (no logo, no tiered PGO).
    /// </summary>
    public static ProcessStartInfo PipedStartInfo(IReadOnlyList<string> command)
    {
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_TieredPGO"] = "0";
        return psi;
    }

    /// <summary>Waits for the next line that matches, skipping others (they stay in <see cref="Seen"/>).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            while (true)
            {
                string line = await _lines.Reader.ReadAsync(cts.Token);
                _seen.Add(line);
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"child {Pid} printed no matching line in time; {Printed()}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"child {Pid} closed its output without a matching line; {Printed()}");
        }
    }

    /// <summary>Waits for the exact line.</summary>
    public Task<string> WaitForLineAsync(string line, TimeSpan? timeout = null) =>
        WaitForLineAsync(l => l == line, timeout);

    /// <summary>Reads the remaining output until the child closes it.</summary>
    public async Task<List<string>> ReadToEndAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var rest = new List<string>();
        await foreach (string line in _lines.Reader.ReadAllAsync(cts.Token))
        {
            _seen.Add(line);
            rest.Add(line);
        }

        return rest;
    }

    /// <summary>Closes the child's stdin, which tells a waiting child to finish.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Waits for the child to exit and returns .NET's exit code (128 + N for death by signal N).</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Closes stdin and waits for the exit code.</summary>
    public Task<int> FinishAsync()
    {
        CloseInput();
        return WaitForExitAsync();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private static string FindDotnet()
    {
        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        foreach (string? candidate in new[] { root is null ? null : Path.Combine(root, "dotnet"), "/usr/share/dotnet/dotnet", "/usr/lib/dotnet/dotnet", "/usr/bin/dotnet" })
        {
            if (candidate is not null && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "dotnet";
    }
}
