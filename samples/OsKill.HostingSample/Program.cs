using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OsKill.Extensions.Hosting;

// A worker service whose child, `python3 -m http.server`, starts with the host, is stopped politely
// when the host stops (Ctrl+C, SIGTERM, a service manager's stop), is restarted if it dies, and dies
// with the host however the host dies (kill -9 too): OsKill.Extensions.Hosting, docs/hosting.md.
//
//   dotnet run --project samples/OsKill.HostingSample                 # http://127.0.0.1:8765/
//   dotnet run --project samples/OsKill.HostingSample -- --port 9000  # short for --Children:web:Arguments:2=9000
//
// The settings are in appsettings.json, section Children:web; any of them can be overridden on the
// command line (--Children:web:GracePeriod=00:00:10) or in the environment (Children__web__ExitPolicy=StopHost).
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,   // appsettings.json next to the binary, from any working directory
});
builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--port"] = "Children:web:Arguments:2" });

builder.Services.AddChildProcess("web", builder.Configuration.GetSection("Children:web"));
builder.Services.AddHealthChecks().AddChildProcessCheck("web");
builder.Services.AddHostedService<StartupHealthLog>();

using IHost host = builder.Build();
await host.RunAsync();   // the exit code is Environment.ExitCode: 0, or the child's when its exit policy stops the host

/// <summary>Logs the children and their health check once, when the host has started.</summary>
internal sealed partial class StartupHealthLog(
    IChildProcesses children,
    HealthCheckService health,
    IHostApplicationLifetime lifetime,
    ILogger<StartupHealthLog> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        foreach (ChildProcessInfo child in children.Children)
        {
            ChildInfo(log, child.Name, child.State, child.ProcessId, child.Restarts);
        }

        HealthReport report = await health.CheckHealthAsync(stoppingToken);
        foreach ((string name, HealthReportEntry entry) in report.Entries)
        {
            Health(log, name, entry.Status, entry.Description, string.Join(", ", entry.Data.Select(d => $"{d.Key}={d.Value}")));
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Child {Child}: {State}, pid {Pid}, {Restarts} restarts")]
    private static partial void ChildInfo(ILogger logger, string child, ChildProcessState state, int? pid, int restarts);

    [LoggerMessage(2, LogLevel.Information, "Health check {Check}: {Status}: {Description} ({Data})")]
    private static partial void Health(ILogger logger, string check, HealthStatus status, string? description, string data);
}
