using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OsKill.Tests.Docs;

/// <summary>
/// samples/OsKill.HostingSample, the worker service of docs/hosting.md, run as a reader runs it: its
/// child `python3 -m http.server` answers HTTP, and a SIGTERM to the host (what a service manager or
/// `docker stop` sends) ends the host with exit code 0 and leaves no python3 behind.
/// </summary>
public class HostingSampleTests
{
    [Fact]
    public async Task The_hosting_sample_serves_http_and_exits_0_on_SIGTERM_leaving_no_child()
    {
        RequireContainers();
        int port = FreePort();

        // Every process the sample starts inherits OSKILL_TREE=<marker>, so a scan of /proc finds any
        // survivor wherever it went. env --default-signal: the sample starts with default signal
        // actions and an empty mask, whatever the test host inherited, as a reader's shell starts it.
        // /usr/bin/python3, not the python3 on PATH (a pyenv shim on some machines): the suite's oracle.
        string marker = Trees.NewMarker();
        var psi = new ProcessStartInfo(Child.DefaultSignalsEnv)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "--default-signal", Child.DotnetHost, Path.GetFullPath(TestAssembly.Metadata("HostingSampleDll")),
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Children:web:FileName=/usr/bin/python3",
        })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment[Trees.MarkerVariable] = marker;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var output = new StringBuilder();
        using Process sample = new() { StartInfo = psi };
        sample.OutputDataReceived += (_, e) => Append(output, e.Data);
        sample.ErrorDataReceived += (_, e) => Append(output, e.Data);
        sample.Start();
        sample.BeginOutputReadLine();
        sample.BeginErrorReadLine();
        try
        {
            // The child is up once its port answers (dotnet's and python's start-up, under load), and the
            // host has started once it has logged its health report (which a stop before it would cancel).
            await WaitForHttpAsync(sample, port, TimeSpan.FromSeconds(60), output);
            await WaitForLogAsync(sample, "Health check child:web: ", TimeSpan.FromSeconds(30), output);
            List<int> servers = HttpServers(port);
            Assert.True(servers.Count == 1, $"expected one python3 http.server on port {port}, found pids [{string.Join(", ", servers)}]\n{Text(output)}");

            Os.Kill(sample.Id, Signal.SIGTERM);
            var clock = Stopwatch.StartNew();
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
            {
                // python3 ends on SIGTERM at once; the bound allows for a loaded 2-core machine.
                cts.CancelAfter(TimeSpan.FromSeconds(10));
                try
                {
                    await sample.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    Assert.Fail($"the sample still runs {clock.Elapsed.TotalSeconds:F1} s after SIGTERM\n{Text(output)}");
                }
            }

            List<int> left = HttpServers(port);
            List<Trees.Seen> survivors = Trees.Alive(marker);

            // A survivor would hold the output pipes open: end it before waiting for the output's end.
            await Trees.CleanupAsync(marker);
            sample.WaitForExit();
            string log = Text(output);
            Assert.True(sample.ExitCode == 0, $"the sample exited {sample.ExitCode} on SIGTERM\n{log}");
            Assert.True(left.Count == 0, $"python3 http.server on port {port} survived the sample: pids [{string.Join(", ", left)}]\n{log}");
            Assert.True(survivors.Count == 0, $"the sample left {survivors.Count} of its processes running ({string.Join(", ", survivors)})\n{log}");

            // The log a reader sees: the child started, its health check reported once, its stop said how it ended.
            Assert.Contains("Child process web started: pid ", log, StringComparison.Ordinal);
            Assert.Contains("Health check child:web: Healthy", log, StringComparison.Ordinal);
            Assert.Contains("Child process web stopped: ", log, StringComparison.Ordinal);
        }
        finally
        {
            if (!sample.HasExited)
            {
                sample.Kill();
            }

            await Trees.CleanupAsync(marker);
        }
    }

    /// <summary>Skips, saying why, where the sample's host cannot start: it runs its child in a <see cref="ProcessContainer"/>.</summary>
    private static void RequireContainers()
    {
        if (!ProcessContainer.IsSupported)
        {
            Assert.Skip("the hosting sample runs its child in a ProcessContainer, and this machine has none (not Linux with cgroup v2, nor Windows)");
        }

        try
        {
            using var probe = new ProcessContainer();
        }
        catch (UnauthorizedAccessException e)
        {
            Assert.Skip($"the hosting sample runs its child in a ProcessContainer, and this user cannot make one here: {e.Message}");
        }
    }

    /// <summary>A port that was free a moment ago on 127.0.0.1.</summary>
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task WaitForHttpAsync(Process sample, int port, TimeSpan timeout, StringBuilder output)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/"), TestContext.Current.CancellationToken);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"http://127.0.0.1:{port}/ answered {response.StatusCode}\n{Text(output)}");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !sample.HasExited)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            catch (HttpRequestException e)
            {
                Assert.Fail($"http://127.0.0.1:{port}/ did not answer ({e.Message}); the sample {(sample.HasExited ? $"exited {sample.ExitCode}" : "still runs")}\n{Text(output)}");
            }
        }
    }

    private static async Task WaitForLogAsync(Process sample, string text, TimeSpan timeout, StringBuilder output)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!Text(output).Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline && !sample.HasExited, $"the sample did not log \"{text}\" ({(sample.HasExited ? $"exited {sample.ExitCode}" : "still runs")})\n{Text(output)}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The pids of the live processes whose command line is `… -m http.server PORT …`, from /proc.</summary>
    private static List<int> HttpServers(int port)
    {
        string portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }

            string[] argv;
            try
            {
                argv = File.ReadAllText(dir + "/cmdline").Split('\0');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            int module = Array.IndexOf(argv, "http.server");
            if (module > 0 && argv[module - 1] == "-m" && argv.Contains(portText) && IsAlive(pid))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>Not a zombie (a zombie's cmdline is empty anyway, but the scan may race its exit).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            char state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X' or 'x');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
