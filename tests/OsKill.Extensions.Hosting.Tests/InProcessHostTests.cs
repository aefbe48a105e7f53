using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace OsKill.Extensions.Hosting.Tests;

/// <summary>
/// Hosts built in the test process: IChildProcesses and the health check, against a real child.
/// Their children never stop the host (ExitPolicy.Ignore, or a restart that does not come before
/// the stop), which would set this process's Environment.ExitCode.
/// </summary>
public class InProcessHostTests
{
    [Fact]
    public async Task Health_is_healthy_with_the_pid_while_the_child_runs_and_unhealthy_once_it_is_killed()
    {
        string marker = Trees.NewMarker();
        using IHost host = Build(marker, "sleeper", ExitPolicy.Ignore, TimeSpan.FromSeconds(1));
        IChildProcesses children = host.Services.GetRequiredService<IChildProcesses>();
        HealthCheckService health = host.Services.GetRequiredService<HealthCheckService>();
        try
        {
            Assert.Equal(ChildProcessState.NotStarted, children.GetChild("sleeper").State);
            await host.StartAsync(TestContext.Current.CancellationToken);

            ChildProcessInfo running = children.GetChild("sleeper");
            Assert.Equal(ChildProcessState.Running, running.State);
            int pid = Assert.IsType<int>(running.ProcessId);
            // Start returns once the child is in its container, maybe still inside env's exec of
            // sleep, when a scan cannot read its environment (CI saw none): wait until it runs sleep.
            List<Trees.Seen> settled = await Trees.WaitForSettledAsync(marker, 1, rootPid: 0, "sleep", TimeSpan.FromSeconds(10));
            Assert.Equal(pid, Assert.Single(settled).Pid);
            HealthReportEntry healthy = (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Entries["child:sleeper"];
            Assert.Equal(HealthStatus.Healthy, healthy.Status);
            Assert.Equal(pid, healthy.Data["pid"]);
            Assert.Contains($"pid {pid}", healthy.Description, StringComparison.Ordinal);

            Os.Kill(pid, Signal.SIGKILL);
            ChildProcessInfo exited = await WaitForStateAsync(children, "sleeper", ChildProcessState.Exited);
            Assert.Equal((null, 128 + Signal.SIGKILL), (exited.ProcessId, exited.LastExitCode));
            HealthReportEntry unhealthy = (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Entries["child:sleeper"];
            Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
            Assert.Equal("Exited", unhealthy.Data["state"]);
            Assert.Equal(137, unhealthy.Data["lastExitCode"]);

            await host.StopAsync(TestContext.Current.CancellationToken);
            Assert.Equal(ChildProcessState.Stopped, children.GetChild("sleeper").State);
            Assert.Equal(0, Environment.ExitCode);
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public async Task A_child_waiting_out_its_backoff_is_degraded_and_the_stop_ends_the_wait()
    {
        string marker = Trees.NewMarker();
        using IHost host = Build(marker, "flaky", ExitPolicy.Restart, TimeSpan.FromSeconds(30));
        IChildProcesses children = host.Services.GetRequiredService<IChildProcesses>();
        HealthCheckService health = host.Services.GetRequiredService<HealthCheckService>();
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            Os.Kill(children.GetChild("flaky").ProcessId!.Value, Signal.SIGKILL);
            await WaitForStateAsync(children, "flaky", ChildProcessState.Restarting);
            HealthReportEntry degraded = (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Entries["child:flaky"];
            Assert.Equal(HealthStatus.Degraded, degraded.Status);

            var watch = System.Diagnostics.Stopwatch.StartNew();
            await host.StopAsync(TestContext.Current.CancellationToken);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the stop waited {watch.Elapsed.TotalSeconds:F1} s: the 30 s backoff was not cut short");
            ChildProcessInfo stopped = children.GetChild("flaky");
            Assert.Equal((ChildProcessState.Stopped, 0), (stopped.State, stopped.Restarts));
            Assert.Empty(Trees.Alive(marker));
            Assert.Equal(0, Environment.ExitCode);
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    [Fact]
    public void GetChild_of_an_unknown_name_names_the_children()
    {
        using IHost host = Build(Trees.NewMarker(), "sleeper", ExitPolicy.Ignore, TimeSpan.FromSeconds(1));
        KeyNotFoundException e = Assert.Throws<KeyNotFoundException>(() => host.Services.GetRequiredService<IChildProcesses>().GetChild("nobody"));
        Assert.Contains("'nobody'", e.Message, StringComparison.Ordinal);
        Assert.Contains("sleeper", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A host with one child (a sleep, with the marker) and its health check; no console lifetime, so no signal handlers in the test process.</summary>
    private static IHost Build(string marker, string name, ExitPolicy policy, TimeSpan backoff)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IHostLifetime, NoLifetime>();
        builder.Services.AddChildProcess(name, o =>
        {
            o.FileName = Child.DefaultSignalsEnv;
            o.Arguments.Add("--default-signal");
            o.Arguments.Add("sleep");
            o.Arguments.Add("1000");
            o.Environment[Trees.MarkerVariable] = marker;
            o.ExitPolicy = policy;
            o.RestartBackoff = backoff;
            o.GracePeriod = TimeSpan.FromSeconds(2);
        });
        builder.Services.AddHealthChecks().AddChildProcessCheck(name);
        return builder.Build();
    }

    private static async Task<ChildProcessInfo> WaitForStateAsync(IChildProcesses children, string name, ChildProcessState state)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            ChildProcessInfo info = children.GetChild(name);
            if (info.State == state)
            {
                return info;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"{name} is {info} after 20 s, not {state}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>No console lifetime: the test process keeps its own signal handling.</summary>
    private sealed class NoLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
