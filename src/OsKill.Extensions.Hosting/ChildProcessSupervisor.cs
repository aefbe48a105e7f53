using System.Runtime.Versioning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OsKill.Extensions.Hosting;

/// <summary>
/// The hosted service behind <see cref="ChildProcessServiceCollectionExtensions.AddChildProcess(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{ChildProcessOptions})"/>:
/// starts every registered child, in registration order, when the host starts; stops them in
/// reverse order (or in parallel) when it stops, every polite step within one budget taken from
/// <see cref="HostOptions.ShutdownTimeout"/>, counted from the moment the host began to stop.
/// </summary>
[UnsupportedOSPlatform("macos")]
[UnsupportedOSPlatform("freebsd")]
internal sealed class ChildProcessSupervisor : IHostedLifecycleService, IChildProcesses, IDisposable
{
    private readonly IReadOnlyList<ChildProcessRegistration> _registrations;
    private readonly IOptionsMonitor<ChildProcessOptions> _options;
    private readonly ChildProcessHostOptions _hostOptions;
    private readonly TimeSpan _shutdownTimeout;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _log;
    private readonly ILoggerFactory _loggers;
    private volatile SupervisedChild[] _children = [];   // made once, in StartingAsync, in registration order
    private DateTime? _stoppingSinceUtc;
    private int _hostStopRequested;

    public ChildProcessSupervisor(
        IEnumerable<ChildProcessRegistration> registrations,
        IOptionsMonitor<ChildProcessOptions> options,
        IOptions<ChildProcessHostOptions> hostOptions,
        IOptions<HostOptions> host,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers)
    {
        _registrations = [.. registrations];
        _options = options;
        _hostOptions = hostOptions.Value;
        _shutdownTimeout = host.Value.ShutdownTimeout;
        _lifetime = lifetime;
        _loggers = loggers;
        _log = loggers.CreateLogger<ChildProcessSupervisor>();
    }

    /// <inheritdoc/>
    public IReadOnlyList<ChildProcessInfo> Children
    {
        get
        {
            SupervisedChild[] children = _children;
            return children.Length > 0
                ? [.. children.Select(c => c.Info)]
                : [.. _registrations.Select(r => new ChildProcessInfo(r.Name, null, ChildProcessState.NotStarted, 0, null))];
        }
    }

    /// <inheritdoc/>
    public ChildProcessInfo GetChild(string name) =>
        Children.FirstOrDefault(c => c.Name == name) ?? throw new KeyNotFoundException($"No child process is called '{name}'; the children are: {string.Join(", ", _registrations.Select(r => r.Name))}.");

    /// <summary>Validates every child's options before anything starts, so a bad setting starts nothing; then makes the children, not started yet.</summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (_registrations.Count > 0 && !ProcessContainer.IsSupported)
        {
            throw new PlatformNotSupportedException("OsKill.Extensions.Hosting starts each child in a ProcessContainer, which needs Linux with cgroup v2 (and the rights to make a cgroup) or Windows.");
        }

        foreach (ChildProcessRegistration registration in _registrations)
        {
            _ = _options.Get(registration.Name);   // throws OptionsValidationException, naming the child and the setting
        }

        _children = [.. _registrations.Select(r => new SupervisedChild(r.Name, _options.Get(r.Name), _log, _loggers, StopHost, _lifetime.ApplicationStopping))];
        return Task.CompletedTask;
    }

    /// <summary>Starts the children in registration order; if one cannot start, kills those already started and throws.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (SupervisedChild child in _children)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                child.Start();
            }
            catch
            {
                foreach (SupervisedChild started in _children)
                {
                    await started.KillAsync().ConfigureAwait(false);   // nothing for those not started
                }

                throw;
            }
        }
    }

    /// <inheritdoc/>
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Marks the start of the host's shutdown: the budget is counted from here.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stoppingSinceUtc ??= DateTime.UtcNow;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops the children (reverse order or parallel), each on its chain within the one budget; when
    /// <paramref name="cancellationToken"/> fires (the shutdown timeout is spent) the containers still
    /// running are killed.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var budget = ShutdownBudget.From(_stoppingSinceUtc ?? DateTime.UtcNow, _shutdownTimeout, _hostOptions.KillReserve);
        SupervisedChild[] children = _children;
        if (_hostOptions.StopOrder == ChildStopOrder.Parallel)
        {
            Exception?[] failed = await Task.WhenAll(children.Select(c => StopOneAsync(c, budget, cancellationToken))).ConfigureAwait(false);
            ThrowIfAny(failed);
            return;
        }

        var errors = new List<Exception?>();
        for (int i = children.Length - 1; i >= 0; i--)
        {
            // One child's failure does not leave the others running: stop them all, then throw.
            errors.Add(await StopOneAsync(children[i], budget, cancellationToken).ConfigureAwait(false));
        }

        ThrowIfAny(errors);
    }

    /// <summary>Stops one child; what goes wrong is logged and returned, for the caller to throw once every child was stopped.</summary>
    private async Task<Exception?> StopOneAsync(SupervisedChild child, ShutdownBudget budget, CancellationToken cancellationToken)
    {
        try
        {
            await child.StopAsync(budget, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            HostingLog.Failed(_log, e, child.Name, "stop");
            return e;
        }
    }

    private static void ThrowIfAny(IEnumerable<Exception?> results)
    {
        List<Exception> errors = [.. results.OfType<Exception>()];
        if (errors.Count > 0)
        {
            throw new AggregateException("Stopping the host's child processes failed; see the inner exceptions.", errors);
        }
    }

    /// <inheritdoc/>
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Frees each child's gate (the containers were freed by the stop, or are killed with the process).</summary>
    public void Dispose()
    {
        foreach (SupervisedChild child in _children)
        {
            child.Dispose();
        }
    }

    /// <summary>A child's exit policy stops the host: the first one sets the exit code.</summary>
    private void StopHost(int exitCode)
    {
        if (Interlocked.Exchange(ref _hostStopRequested, 1) == 0)
        {
            Environment.ExitCode = exitCode;
        }

        _lifetime.StopApplication();
    }
}
