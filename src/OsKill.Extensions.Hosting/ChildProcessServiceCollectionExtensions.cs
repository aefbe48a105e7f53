using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OsKill.Extensions.Hosting;

/// <summary>Registers child processes with the host: <c>services.AddChildProcess("web", o => …)</c>.</summary>
public static class ChildProcessServiceCollectionExtensions
{
    /// <summary>
    /// Adds a child process called <paramref name="name"/>: started in a <see cref="ProcessContainer"/>
    /// when the host starts (in registration order), stopped in reverse order when it stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The child's name: unique, used in logs, the health check and <see cref="IChildProcesses"/>.</param>
    /// <param name="configure">Sets the options; the builder it returns can bind configuration too.</param>
    /// <returns>The options builder, to bind or validate further.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or already registered.</exception>
    public static OptionsBuilder<ChildProcessOptions> AddChildProcess(this IServiceCollection services, string name, Action<ChildProcessOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Register(services, name).Configure(configure);
    }

    /// <summary>As <see cref="AddChildProcess(IServiceCollection, string, Action{ChildProcessOptions})"/>, with the options bound from a configuration section.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The child's name.</param>
    /// <param name="section">The section, such as <c>configuration.GetSection("Children:web")</c>: FileName, Arguments, WorkingDirectory, Environment, StopSignal, GracePeriod, KillMode, ExitPolicy, MaxRestarts, RestartBackoff, MaxRestartBackoff, LogOutput, StandardErrorLogLevel.</param>
    /// <returns>The options builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or already registered.</exception>
    public static OptionsBuilder<ChildProcessOptions> AddChildProcess(this IServiceCollection services, string name, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return Register(services, name).Bind(section);
    }

    private static OptionsBuilder<ChildProcessOptions> Register(IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(ChildProcessRegistration) && d.ImplementationInstance is ChildProcessRegistration r && r.Name == name))
        {
            throw new ArgumentException($"A child process called '{name}' is registered already.", nameof(name));
        }

        services.AddSingleton(new ChildProcessRegistration(name));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChildProcessOptions>, ChildProcessOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChildProcessHostOptions>, ChildProcessHostOptionsValidator>());
        // Registering works anywhere; on macOS and FreeBSD the host's start throws PlatformNotSupportedException
        // (ChildProcessSupervisor.StartingAsync checks ProcessContainer.IsSupported before anything is made).
#pragma warning disable CA1416
        if (!services.Any(d => d.ServiceType == typeof(ChildProcessSupervisor)))
        {
            services.AddSingleton<ChildProcessSupervisor>();
            services.AddSingleton<IChildProcesses>(sp => sp.GetRequiredService<ChildProcessSupervisor>());
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ChildProcessSupervisor>());
            services.AddOptions<ChildProcessHostOptions>();
        }
#pragma warning restore CA1416

        return services.AddOptions<ChildProcessOptions>(name);
    }
}
