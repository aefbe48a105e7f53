using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace OsKill.Extensions.Hosting.Tests.Infrastructure;

/// <summary>
/// One run of OsKill.Hosting.TestHost as a process: started with a fresh marker in its environment
/// (OSKILL_TREE, which every child and grandchild inherits, so that <see cref="Trees.Alive"/>
/// finds whatever the run left), its stdout read line by line, signalled, and waited for.
/// Disposal kills whatever of the run is still alive.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    /// <summary>The built TestHost.</summary>
    public static string Dll { get; } = Path.GetFullPath(TestAssembly.Metadata("TestHostDll"));

    /// <summary>How long a host gets to start under load (the dotnet host's start, the children's).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<string> _errors = [];
    private readonly Task _readers;

    private HostProcess(Process process, string marker)
    {
        _process = process;
        Marker = marker;

        // Read by hand, not with BeginOutputReadLine: Process.WaitForExitAsync then waits for the
        // end of the output too, which a process that outlives the host could hold open.
        _readers = Task.WhenAll(Read(process.StandardOutput, _lines), Read(process.StandardError, _errors));
    }

    /// <summary>The marker in the environment of the host and of everything it starts.</summary>
    public string Marker { get; }

    /// <summary>The host's pid.</summary>
    public int Pid => _process.Id;

    /// <summary>Every stdout line so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The whole output so far (stdout, then stderr), for failure messages and the test's output.</summary>
    public string Output
    {
        get
        {
            string stderr;
            lock (_errors)
            {
                stderr = string.Join('\n', _errors);
            }

            return string.Join('\n', Lines) + (stderr.Length == 0 ? string.Empty : "\n--- stderr\n" + stderr);
        }
    }

    /// <summary>
    /// Starts the TestHost with these settings; with <paramref name="ownProcessGroup"/>, in a session
    /// (and process group) of its own that its children share, as a shell's foreground job is; with
    /// <paramref name="environment"/>, with these variables added to its environment.
    /// </summary>
    public static HostProcess Start(HostConfig config, bool ownProcessGroup = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        string marker = Trees.NewMarker();
        string[] command = [.. ownProcessGroup ? new[] { "/usr/bin/setsid" } : [], Child.DefaultSignalsEnv, "--default-signal", Child.DotnetHost, Dll, .. config.Args];
        ProcessStartInfo psi = Child.PipedStartInfo(command);
        psi.Environment[Trees.MarkerVariable] = marker;
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        return new HostProcess(Process.Start(psi)!, marker);
    }

    /// <summary>Waits for "ready ..." and returns the pid of each child that runs then (one that has exited already has none), by name.</summary>
    public async Task<Dictionary<string, int>> WaitReadyAsync()
    {
        string ready = await WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), StartTimeout);
        var pids = new Dictionary<string, int>();
        foreach (string pair in ready["ready ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] nameAndPid = pair.Split('=');
            if (int.TryParse(nameAndPid[1], CultureInfo.InvariantCulture, out int pid))
            {
                pids[nameAndPid[0]] = pid;
            }
        }

        return pids;
    }

    /// <summary>Waits for "ready ..." and then for each of <paramref name="children"/> to print "ready" (its signal dispositions are set); returns the pids.</summary>
    public async Task<Dictionary<string, int>> WaitReadyAsync(params string[] children)
    {
        Dictionary<string, int> pids = await WaitReadyAsync();
        foreach (string name in children)
        {
            await WaitForChildOutputAsync(name, "ready");
        }

        return pids;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to the host (or its process group) and waits for its exit;
    /// returns the exit code and the time from the signal to the exit.
    /// </summary>
    public async Task<(int ExitCode, TimeSpan Took)> SignalAndWaitAsync(int signal, bool toGroup = false)
    {
        var watch = Stopwatch.StartNew();
        if (toGroup)
        {
            SignalGroup(signal);
        }
        else
        {
            Signal(signal);
        }

        int exitCode = await WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exitCode, watch.Elapsed);
    }

    /// <summary>Waits until the child called <paramref name="name"/> has printed <paramref name="text"/> on its stdout (as the host logs it).</summary>
    public Task<string> WaitForChildOutputAsync(string name, string text) =>
        WaitForLineAsync(l => l.Contains($" OsKill.Child.{name}[100] {text}", StringComparison.Ordinal), StartTimeout);

    /// <summary>Waits for a stdout line that matches, seen already or to come; throws, with the output so far, on timeout or when the host exits first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            bool exited = _process.HasExited;
            if (Lines.FirstOrDefault(match) is string line)
            {
                return line;
            }

            if (exited && _readers.IsCompleted)
            {
                throw new InvalidOperationException($"the host exited ({_process.ExitCode}) before the line awaited; its output:\n{Output}");
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"no such line from the host in {timeout.TotalSeconds} s; its output:\n{Output}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the host.</summary>
    public void Signal(int signal) => Os.Kill(_process.Id, signal);

    /// <summary>Sends <paramref name="signal"/> to the host's process group (started with ownProcessGroup).</summary>
    public void SignalGroup(int signal) => Os.KillPg(_process.Id, signal);

    /// <summary>Writes a line to the host's stdin ("state").</summary>
    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the host's exit; returns its exit code, or 128 + N when signal N ended it.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the host (pid {Pid}) did not exit in {timeout.TotalSeconds} s; its output:\n{Output}");
        }

        // What it wrote before it exited comes through the pipe a moment later.
        await Task.WhenAny(_readers, Task.Delay(TimeSpan.FromSeconds(5)));
        return _process.ExitCode;
    }

    /// <summary>The "Child process X stopped: ..." line of <paramref name="child"/>.</summary>
    public StopLine StopOf(string child)
    {
        foreach (string line in Lines)
        {
            if (StopLine.Parse(line) is StopLine stop && stop.Child == child)
            {
                return stop;
            }
        }

        throw new InvalidOperationException($"the host logged no stop of child {child}; its output:\n{Output}");
    }

    /// <summary>Whether the host logged that the shutdown timeout ran out during the stop of <paramref name="child"/>, and its container was killed.</summary>
    public bool KilledAtTimeout(string child) =>
        LinesWith($"Child process {child}: the host's shutdown timeout ran out during its stop").Count == 1;

    /// <summary>Whether the host logged a "stopped" line for <paramref name="child"/>.</summary>
    public bool HasStopLine(string child) => Lines.Any(l => StopLine.Parse(l)?.Child == child);

    /// <summary>The lines that contain <paramref name="text"/>.</summary>
    public List<string> LinesWith(string text) => Lines.Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();

    /// <summary>The time stamp at the start of a log line (UTC, HH:mm:ss.fff) as the time of day.</summary>
    public static TimeSpan TimeOf(string line) =>
        TimeSpan.ParseExact(line[..12], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    /// <summary>Kills the host if it still runs, then whatever carries its marker.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill();
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }
        }

        await _process.WaitForExitAsync();
        await Trees.CleanupAsync(Marker);
        _process.Dispose();
    }

    private static async Task Read(StreamReader reader, List<string> into)
    {
        while (await reader.ReadLineAsync() is string line)
        {
            lock (into)
            {
                into.Add(line);
            }
        }
    }
}

/// <summary>
/// One "Child process X stopped: Outcome after step N (signal S (SIGNAME), then wait W ms) in E ms;
/// exit code C; M processes, killed: [pids]" line of the supervisor's log.
/// </summary>
public sealed partial record StopLine(string Child, string Outcome, int? StepIndex, string? StepSignal, double ElapsedMs, int? ExitCode, int MemberCount, string Line)
{
    public static StopLine? Parse(string line)
    {
        Match m = Pattern().Match(line);
        if (!m.Success)
        {
            return null;
        }

        return new StopLine(
            m.Groups["child"].Value,
            m.Groups["outcome"].Value,
            m.Groups["step"].Value.Length == 0 ? null : int.Parse(m.Groups["step"].Value, CultureInfo.InvariantCulture),
            m.Groups["signal"].Success ? m.Groups["signal"].Value : null,
            double.Parse(m.Groups["elapsed"].Value, CultureInfo.InvariantCulture),
            m.Groups["exit"].Value.Length == 0 ? null : int.Parse(m.Groups["exit"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["members"].Value, CultureInfo.InvariantCulture),
            line);
    }

    [GeneratedRegex(@"Child process (?<child>\S+) stopped: (?<outcome>\w+) after step (?<step>\d*) \((?:signal \d+ \((?<signal>SIG\w+)\)[^)]*)?\) in (?<elapsed>\d+) ms; exit code (?<exit>-?\d*); processes seen: (?<members>\d+)")]
    private static partial Regex Pattern();
}
