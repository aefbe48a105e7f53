using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Threading.Channels;

namespace OsKill.Cli.Tests.Infrastructure;

/// <summary>
/// A process a test started to be signalled: a plain <c>sleep</c>, the C receiver that reports each
/// signal with its si_code and value, or tests/OsKill.TestChild. Killed on dispose if still running.
/// </summary>
public sealed class Child : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];

    private Child(Process process)
    {
        _process = process;
        Pid = process.Id;
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
    }

    public static string TestChildDll { get; } = Path.GetFullPath(
        typeof(Child).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TestChildDll").Value!);

    public int Pid { get; private set; }

    public Process Process => _process;

    public IReadOnlyList<string> Seen => _seen;

    /// <summary><c>sleep 1000</c>, optionally behind a wrapper such as setsid.</summary>
    public static Child StartSleep(params string[] wrapper) => Start([.. wrapper, "sleep", "1000"]);

    /// <summary>A shell that ignores TERM and then becomes <c>sleep</c>, which keeps ignoring it.</summary>
    public static Child StartIgnoringTerm() => Start(["sh", "-c", "trap '' TERM; exec sleep 1000"]);

    /// <summary>The C receiver, blocking these signals and reporting each with its si_code and value.</summary>
    public static Task<Child> StartReceiverAsync(params int[] signals) =>
        StartReadyAsync([Receiver.Path, .. signals.Select(s => s.ToString(CultureInfo.InvariantCulture))]);

    /// <summary>tests/OsKill.TestChild with these arguments, behind an optional wrapper.</summary>
    public static Task<Child> StartTestChildAsync(string[] wrapper, params string[] args) =>
        StartReadyAsync([.. wrapper, OsKillRun.DotnetHost, TestChildDll, .. args]);

    /// <summary>Starts a command that prints "ready PID" first, and waits for that line.</summary>
    public static async Task<Child> StartReadyAsync(string[] command)
    {
        Child child = Start(command);
        string ready = await child.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal));
        child.Pid = int.Parse(ready["ready ".Length..], CultureInfo.InvariantCulture);
        return child;
    }

    public static Child Start(string[] command)
    {
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_TieredPGO"] = "0";
        return new Child(Process.Start(psi)!);
    }

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
            throw new TimeoutException($"process {Pid} printed no matching line in time; it printed: [{string.Join(" | ", _seen)}]");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"process {Pid} closed its output without a matching line; it printed: [{string.Join(" | ", _seen)}]");
        }
    }

    public Task<string> WaitForLineAsync(string line) => WaitForLineAsync(l => l == line);

    /// <summary>Waits for every one of these lines, in any order.</summary>
    public async Task WaitForAllAsync(IEnumerable<string> expected)
    {
        var missing = new HashSet<string>(expected);
        while (missing.Count > 0)
        {
            missing.Remove(await WaitForLineAsync(missing.Contains));
        }
    }

    /// <summary>Reads what is left of the output until the process closes it; every line lands in <see cref="Seen"/>.</summary>
    public async Task ReadToEndAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (string line in _lines.Reader.ReadAllAsync(cts.Token))
        {
            _seen.Add(line);
        }
    }

    /// <summary>Closes stdin (the receiver and the test child then finish) and returns the exit code.</summary>
    public Task<int> FinishAsync()
    {
        _process.StandardInput.Close();
        return WaitForExitAsync();
    }

    /// <summary>.NET's exit code: 128 + N for death by signal N.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

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
}

/// <summary>Builds receiver.c once per test run with the system C compiler.</summary>
public static class Receiver
{
    private static readonly Lazy<string> s_path = new(Build);

    public static string Path => s_path.Value;

    private static string Build()
    {
        string source = System.IO.Path.Combine(AppContext.BaseDirectory, "receiver.c");
        string output = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"oskill-cli-tests-receiver-{Environment.ProcessId}");
        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-O", "-o", output, source })
        {
            psi.ArgumentList.Add(a);
        }

        using Process gcc = Process.Start(psi) ?? throw new InvalidOperationException("cannot start gcc");
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        return gcc.ExitCode == 0 ? output : throw new InvalidOperationException($"gcc could not build the receiver: {errors}");
    }
}
