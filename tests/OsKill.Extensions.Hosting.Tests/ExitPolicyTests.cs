using System.Text.RegularExpressions;
using OsKill.Extensions.Hosting.Tests.Infrastructure;

namespace OsKill.Extensions.Hosting.Tests;

/// <summary>A child that exits on its own: restarted with backoff up to its limit, or it stops the host with its code, or it is left so.</summary>
public partial class ExitPolicyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Restart_restarts_with_doubling_backoff_up_to_the_limit_then_stops_the_host_with_the_childs_code()
    {
        await using var host = HostProcess.Start(new HostConfig()
            .ShutdownTimeout(TimeSpan.FromSeconds(5))
            .Shell("flaky", "echo run; exit 1", ("ExitPolicy", "Restart"), ("MaxRestarts", "2"), ("RestartBackoff", "00:00:00.100"))
            .Shell("steady", Children.Sleeper));
        int exitCode = await ExitOfAsync(host);

        Assert.Equal(1, exitCode);
        List<string> starts = host.LinesWith("Child process flaky started: pid ");
        Assert.Equal(3, starts.Count);
        Assert.Equal(3, starts.Select(l => Regex.Match(l, @"pid (\d+)").Groups[1].Value).Distinct().Count());
        Assert.Equal(3, host.LinesWith("Child process flaky (pid ").Count(l => l.Contains("exited on its own with code 1; exit policy Restart", StringComparison.Ordinal)));

        // Each restart waits its backoff (100 ms, then 200 ms) before the next start.
        List<string> restarts = host.LinesWith("Child process flaky: restart ");
        Assert.Equal(2, restarts.Count);
        Assert.Contains("restart 1 of 2 in 100 ms", restarts[0], StringComparison.Ordinal);
        Assert.Contains("restart 2 of 2 in 200 ms", restarts[1], StringComparison.Ordinal);
        for (int i = 0; i < 2; i++)
        {
            TimeSpan waited = HostProcess.TimeOf(starts[i + 1]) - HostProcess.TimeOf(restarts[i]);
            output.WriteLine($"restart {i + 1}: {waited.TotalMilliseconds:F0} ms from the restart line to the start");
            Assert.True(waited.TotalMilliseconds >= (100 << i) - 2, $"restart {i + 1} came {waited.TotalMilliseconds} ms after its line; its backoff was {100 << i} ms");
        }

        Assert.Single(host.LinesWith("Child process flaky exited with code 1 after 2 restarts, its limit: stopping the host with exit code 1"));
        Assert.Equal((0, "SIGTERM"), (host.StopOf("steady").StepIndex, host.StopOf("steady").StepSignal));
        Assert.Empty(Trees.Alive(host.Marker));
    }

    [Fact]
    public async Task Restarts_spent_on_a_clean_exit_still_stop_the_host_with_a_failure_code()
    {
        await using var host = HostProcess.Start(new HostConfig()
            .ShutdownTimeout(TimeSpan.FromSeconds(5))
            .Shell("done", "exit 0", ("ExitPolicy", "Restart"), ("MaxRestarts", "0")));
        int exitCode = await ExitOfAsync(host);

        Assert.Equal(1, exitCode);
        Assert.Single(host.LinesWith("Child process done exited with code 0 after 0 restarts, its limit: stopping the host with exit code 1"));
        Assert.Empty(host.LinesWith("Child process done: restart "));
    }

    [Fact]
    public async Task StopHost_makes_the_host_exit_with_the_childs_exit_code()
    {
        await using var host = HostProcess.Start(new HostConfig()
            .ShutdownTimeout(TimeSpan.FromSeconds(5))
            .Shell("quitter", "echo ready; sleep 0.3; exit 3", ("ExitPolicy", "StopHost"))
            .Shell("steady", Children.Sleeper));
        int exitCode = await ExitOfAsync(host);

        Assert.Equal(3, exitCode);
        Assert.Single(host.LinesWith("Child process quitter exited with code 3: stopping the host with exit code 3"));
        Assert.Equal((0, "SIGTERM"), (host.StopOf("steady").StepIndex, host.StopOf("steady").StepSignal));
        Assert.Empty(Trees.Alive(host.Marker));
    }

    [Fact]
    public async Task A_child_that_exits_at_once_still_goes_to_its_exit_policy()
    {
        // No output, no pause: the process may be gone before the supervisor begins to wait for it.
        await using var host = HostProcess.Start(new HostConfig()
            .ShutdownTimeout(TimeSpan.FromSeconds(5))
            .Child("instant", ["/bin/false"], ("ExitPolicy", "StopHost"), ("LogOutput", "false")));
        int exitCode = await ExitOfAsync(host);

        Assert.Equal(1, exitCode);
        Assert.Single(host.LinesWith("Child process instant exited with code 1: stopping the host with exit code 1"));
    }

    [Fact]
    public async Task Ignore_keeps_the_host_running_and_reports_the_child_as_exited()
    {
        await using var host = HostProcess.Start(new HostConfig()
            .ShutdownTimeout(TimeSpan.FromSeconds(5))
            .Shell("quitter", "echo ready; sleep 0.2; exit 3", ("ExitPolicy", "Ignore"))
            .Shell("steady", Children.Sleeper));
        Dictionary<string, int> pids = await host.WaitReadyAsync();
        await host.WaitForLineAsync(l => l.Contains("Child process quitter (pid ", StringComparison.Ordinal) && l.Contains("exited on its own with code 3; exit policy Ignore", StringComparison.Ordinal), HostProcess.StartTimeout);

        await Task.Delay(500, TestContext.Current.CancellationToken);
        await host.SendAsync("state");
        string quitter = await host.WaitForLineAsync(l => l.StartsWith("state quitter ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        string steady = await host.WaitForLineAsync(l => l.StartsWith("state steady ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Equal("state quitter Exited pid= restarts=0 exit=3", quitter);
        Assert.Equal($"state steady Running pid={pids["steady"]} restarts=0 exit=", steady);

        (int exitCode, _) = await host.SignalAndWaitAsync(Signal.SIGTERM);
        output.WriteLine(host.Output);
        Assert.Equal(0, exitCode);
        Assert.Empty(host.LinesWith("stopping the host"));
        Assert.Empty(Trees.Alive(host.Marker));
    }

    /// <summary>Waits for the host to exit by itself; prints its output.</summary>
    private async Task<int> ExitOfAsync(HostProcess host)
    {
        int exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(host.Output);
        return exitCode;
    }
}
