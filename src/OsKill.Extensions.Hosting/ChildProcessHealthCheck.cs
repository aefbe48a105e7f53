using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OsKill.Extensions.Hosting;

/// <summary>
/// The health of one child: healthy while it runs, degraded while it waits out a restart's backoff,
/// and the registration's failure status otherwise (not started yet, exited, stopping or stopped).
/// </summary>
internal sealed class ChildProcessHealthCheck(IChildProcesses children, string name) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ChildProcessInfo info = children.GetChild(name);
        var data = new Dictionary<string, object>
        {
            ["state"] = info.State.ToString(),
            ["restarts"] = info.Restarts,
        };
        if (info.ProcessId is int pid)
        {
            data["pid"] = pid;
        }

        if (info.LastExitCode is int code)
        {
            data["lastExitCode"] = code;
        }

        HealthCheckResult result = info.State switch
        {
            ChildProcessState.Running => HealthCheckResult.Healthy($"Child process '{name}' is running (pid {info.ProcessId}).", data),
            ChildProcessState.Restarting => HealthCheckResult.Degraded($"Child process '{name}' exited with code {info.LastExitCode} and is waiting to be restarted (restart {info.Restarts + 1}).", data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, $"Child process '{name}' is not running: {info.State}" + (info.LastExitCode is int c ? $", last exit code {c}." : "."), data: data),
        };
        return Task.FromResult(result);
    }
}
