using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OsKill.Extensions.Hosting;

/// <summary>Health checks for the host's child processes: <c>services.AddHealthChecks().AddChildProcessCheck("web")</c>.</summary>
public static class ChildProcessHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check for the child called <paramref name="name"/> (registered with
    /// <see cref="ChildProcessServiceCollectionExtensions.AddChildProcess(IServiceCollection, string, Action{ChildProcessOptions})"/>):
    /// healthy while it runs, degraded while it waits to be restarted, <paramref name="failureStatus"/>
    /// otherwise. Its data holds the state, the pid, the restarts and the last exit code.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The child's registered name; the check is called "child:" + name.</param>
    /// <param name="failureStatus">What a child that is not running reports; <see cref="HealthStatus.Unhealthy"/> when null.</param>
    /// <param name="tags">Tags for filtering checks.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddChildProcessCheck(this IHealthChecksBuilder builder, string name, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            "child:" + name,
            sp => new ChildProcessHealthCheck(sp.GetRequiredService<IChildProcesses>(), name),
            failureStatus,
            tags));
    }
}
