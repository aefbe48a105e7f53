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
    /// <param name="configure">Sets the options; configuration bound with the other overload applies too.</param>
    /// <returns>The options builder, to bind or validate further.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or already registered.</exception>
    public static OptionsBuilder<ChildProcessOptions> AddChildProcess(this IServiceCollection services, string name, Action<ChildProcessOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(ChildProcessRegistration) && d.ImplementationInstance is ChildProcessRegistration r && r.Name == name))
        {
            throw new ArgumentException($"A child process called '{name}' is registered already.", nameof(name));
        }

        services.AddSingleton(new ChildProcessRegistration(name));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChildProcessOptions>, ChildProcessOptionsValidator>());
        if (!services.Any(d => d.ServiceType == typeof(ChildProcessSupervisor)))
        {
            services.AddSingleton<ChildProcessSupervisor>();
            services.AddSingleton<IChildProcesses>(sp => sp.GetRequiredService<ChildProcessSupervisor>());
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ChildProcessSupervisor>());
        }

        OptionsBuilder<ChildProcessOptions> builder = services.AddOptions<ChildProcessOptions>(name);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return builder;
    }

    /// <summary>As <see cref="AddChildProcess(IServiceCollection, string, Action{ChildProcessOptions}?)"/>, with the options bound from a configuration section.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The child's name.</param>
    /// <param name="section">The section, such as <c>configuration.GetSection("Children:web")</c>.</param>
    /// <returns>The options builder.</returns>
    public static OptionsBuilder<ChildProcessOptions> AddChildProcess(this IServiceCollection services, string name, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return services.AddChildProcess(name).Bind(section);
    }
}
