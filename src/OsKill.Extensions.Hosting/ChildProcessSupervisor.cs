using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OsKill.Extensions.Hosting;

/// <summary>
/// Starts every registered child in a container of its own when the host starts, and stops them in
/// reverse order when it stops, the stop chain fitted into what is left of the shutdown timeout.
/// </summary>
/// <remarks>Work in progress (issue 16): exit policies, output logging and health checks come next.</remarks>
internal sealed partial class ChildProcessSupervisor(
    IEnumerable<ChildProcessRegistration> registrations,
    IOptionsMonitor<ChildProcessOptions> options,
    ILogger<ChildProcessSupervisor> logger) : IHostedService, IChildProcesses
{
    private readonly List<Child> _children = [.. registrations.Select(r => new Child(r.Name))];

    public IReadOnlyList<ChildProcessInfo> Children =>
        [.. _children.Select(c => new ChildProcessInfo(c.Name, c.Process?.Id, c.State, c.Restarts))];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!ProcessContainer.IsSupported)
        {
            throw new PlatformNotSupportedException("OsKill.Extensions.Hosting starts children in a ProcessContainer, which needs Linux with cgroup v2 or Windows.");
        }

        foreach (Child child in _children)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ChildProcessOptions o = options.Get(child.Name); // validates: a bad setting fails the host's start
            child.Container = new ProcessContainer();
            var psi = new ProcessStartInfo(o.FileName) { UseShellExecute = false, WorkingDirectory = o.WorkingDirectory ?? string.Empty };
            foreach (string argument in o.Arguments)
            {
                psi.ArgumentList.Add(argument);
            }

            foreach (KeyValuePair<string, string> variable in o.Environment)
            {
                psi.Environment[variable.Key] = variable.Value;
            }

            child.Process = child.Container.Start(psi);
            child.State = ChildProcessState.Running;
            LogStarted(logger, child.Name, child.Process.Id);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!ProcessContainer.IsSupported)
        {
            return; // nothing was started
        }

        for (int i = _children.Count - 1; i >= 0; i--)
        {
            Child child = _children[i];
            if (child.Container is null)
            {
                continue;
            }

            ChildProcessOptions o = options.Get(child.Name);
            int polite = o.StopSignal is string name ? Signal.Parse(name) : StopOptions.Default.Steps[0].Signal!.Value;
            var steps = new StopOptions([StopStep.SendSignal(polite, o.GracePeriod), StopOptions.Default.Steps[^1]]);
            try
            {
                ContainerStopResult result = await child.Container.StopAsync(steps, o.KillMode, cancellationToken).ConfigureAwait(false);
                LogStopped(logger, child.Name, result.StepIndex, result.Elapsed.TotalMilliseconds, result.Members.Count);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout is spent: the container's kill ends what is left.
                TreeKillResult killed = await child.Container.KillAsync(CancellationToken.None).ConfigureAwait(false);
                LogKilled(logger, child.Name, killed.KilledCount);
            }
            finally
            {
                await child.Container.DisposeAsync().ConfigureAwait(false);
                child.Container = null;
                child.State = ChildProcessState.Stopped;
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Child {Name} started: pid {Pid}")]
    private static partial void LogStarted(ILogger logger, string name, int pid);

    [LoggerMessage(2, LogLevel.Information, "Child {Name} stopped after step {Step} in {ElapsedMs} ms ({Members} members)")]
    private static partial void LogStopped(ILogger logger, string name, int? step, double elapsedMs, int members);

    [LoggerMessage(3, LogLevel.Warning, "Child {Name}: the shutdown timeout was spent; the container's kill ended {Killed} processes")]
    private static partial void LogKilled(ILogger logger, string name, int killed);

    private sealed class Child(string name)
    {
        public string Name { get; } = name;

        public ProcessContainer? Container { get; set; }

        public Process? Process { get; set; }

        public ChildProcessState State { get; set; }

        public int Restarts { get; set; }
    }
}
