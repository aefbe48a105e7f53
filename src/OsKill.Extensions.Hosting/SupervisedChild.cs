using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;

namespace OsKill.Extensions.Hosting;

/// <summary>
/// One child's life under the host: each run in a <see cref="ProcessContainer"/> of its own, its
/// exits handled by its <see cref="ExitPolicy"/>, and its stop on the container's step chain within
/// the shutdown's budget. One gate orders the runs, the clean-ups after an exit and the stop.
/// </summary>
[UnsupportedOSPlatform("macos")]
[UnsupportedOSPlatform("freebsd")]
internal sealed class SupervisedChild : IDisposable
{
    private readonly string _name;
    private readonly ChildProcessOptions _options;
    private readonly ILogger _log;
    private readonly ChildOutput? _output;
    private readonly Action<int> _stopHost;
    private readonly int _politeSignal;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping;
    private readonly object _infoLock = new();
    private ChildProcessInfo _info;
    private ProcessContainer? _container;
    private Process? _process;
    private Task _supervision = Task.CompletedTask;

    /// <param name="name">The registered name.</param>
    /// <param name="options">Its options, validated.</param>
    /// <param name="log">The supervisor's log.</param>
    /// <param name="loggers">Makes the child's output category.</param>
    /// <param name="stopHost">Stops the host with an exit code (an exit policy's end).</param>
    /// <param name="hostStopping">
    /// Fires when the host begins to stop (IHostApplicationLifetime.ApplicationStopping): an exit
    /// after that is part of the shutdown (a terminal's Ctrl+C reaches the child too), never a
    /// reason to restart or to set the host's exit code.
    /// </param>
    public SupervisedChild(string name, ChildProcessOptions options, ILogger log, ILoggerFactory loggers, Action<int> stopHost, CancellationToken hostStopping)
    {
        _stopping = CancellationTokenSource.CreateLinkedTokenSource(hostStopping);
        _name = name;
        _options = options;
        _log = log;
        _output = ChildOutput.For(name, options, loggers);
        _stopHost = stopHost;
        _politeSignal = options.StopSignal is string signal ? Signal.Parse(signal) : StopOptions.Default.Steps[0].Signal!.Value;
        _info = new ChildProcessInfo(name, null, ChildProcessState.NotStarted, 0, null);
    }

    public string Name => _name;

    public ChildProcessInfo Info
    {
        get
        {
            lock (_infoLock)
            {
                return _info;
            }
        }
    }

    /// <summary>Starts the first run; throws (naming the child and its program) when it cannot start.</summary>
    public void Start()
    {
        _supervision = SuperviseAsync(StartRun());
    }

    /// <summary>
    /// Stops the child within <paramref name="budget"/>: its polite signal for what is left of the
    /// budget, then the forced end; when <paramref name="cancellationToken"/> fires (the host's
    /// shutdown timeout is spent) the container is killed at once. Logs the result.
    /// </summary>
    public async Task StopAsync(ShutdownBudget budget, CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_container is not ProcessContainer container)
            {
                Update(s => s with { State = s.State == ChildProcessState.NotStarted ? s.State : ChildProcessState.Stopped, ProcessId = null });
                return;
            }

            Update(s => s with { State = ChildProcessState.Stopping });
            int? exitCode = null;
            try
            {
                StopOptions chain = budget.ChainFor(_politeSignal, _options.GracePeriod, DateTime.UtcNow);
                ContainerStopResult result = await container.StopAsync(chain, _options.KillMode, cancellationToken).ConfigureAwait(false);
                exitCode = ExitCodes.Of(result.MainExitStatus);
                LogStopped(result, chain, exitCode);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                TreeKillResult killed = await container.KillAsync(CancellationToken.None).ConfigureAwait(false);
                HostingLog.KilledAtTimeout(_log, _name, killed.KilledCount);
            }
            finally
            {
                await ReleaseRunAsync(container).ConfigureAwait(false);
                Update(s => s with { State = ChildProcessState.Stopped, ProcessId = null, LastExitCode = exitCode ?? s.LastExitCode });
            }
        }
        finally
        {
            _gate.Release();
        }

        await _supervision.ConfigureAwait(false);
    }

    /// <summary>Kills what runs now and frees the container, without the chain: for a host whose start failed half-way.</summary>
    public async Task KillAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_container is ProcessContainer container)
            {
                await ReleaseRunAsync(container).ConfigureAwait(false);   // disposal kills every member
                Update(s => s with { State = ChildProcessState.Stopped, ProcessId = null });
            }
        }
        finally
        {
            _gate.Release();
        }

        await _supervision.ConfigureAwait(false);   // cancelled: it ends at once, and Dispose may follow
    }

    /// <summary>Starts one run in a new container and returns its main process; the caller holds the gate (or is the first start).</summary>
    private Process StartRun()
    {
        ProcessContainer container;
        try
        {
            container = new ProcessContainer();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Child process '{_name}': cannot make its container: {e.Message}", e);
        }

        Process process;
        try
        {
            process = container.Start(ChildStartInfo.From(_options));
        }
        catch (Exception e)
        {
            container.Dispose();
            throw new InvalidOperationException($"Child process '{_name}': cannot start '{_options.FileName}' (FileName): {e.Message}", e);
        }

        _container = container;
        _process = process;
        Update(s => s with { State = ChildProcessState.Running, ProcessId = process.Id });
        HostingLog.Started(_log, _name, process.Id, _options.FileName);
        _output?.Attach(process);   // after the "started" line, so that none of its output is logged before it
        return process;
    }

    /// <summary>Watches each run until the host stops the child: an exit before that goes to the exit policy.</summary>
    private async Task SuperviseAsync(Process process)
    {
        int restarts = 0;
        while (true)
        {
            int exitCode;
            try
            {
                exitCode = await ExitOfAsync(process, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;   // the host is stopping the child
            }

            if (!await CleanUpAfterExitAsync(process, exitCode).ConfigureAwait(false))
            {
                return;
            }

            switch (_options.ExitPolicy)
            {
                case ExitPolicy.Ignore:
                    return;
                case ExitPolicy.StopHost:
                    int hostCode = ExitCodes.ForHost(exitCode, failure: false);
                    HostingLog.StoppingHost(_log, _name, exitCode, hostCode);
                    _stopHost(hostCode);
                    return;
            }

            if (restarts >= _options.MaxRestarts)
            {
                int hostCode = ExitCodes.ForHost(exitCode, failure: true);
                HostingLog.RestartsSpent(_log, _name, exitCode, restarts, hostCode);
                _stopHost(hostCode);
                return;
            }

            TimeSpan backoff = Backoff(restarts);
            Update(s => s with { State = ChildProcessState.Restarting });
            HostingLog.Restarting(_log, _name, restarts + 1, _options.MaxRestarts, backoff.TotalMilliseconds);
            try
            {
                await Task.Delay(backoff, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                process = StartRun();
                restarts++;
                Update(s => s with { Restarts = restarts });
            }
            catch (Exception e)
            {
                HostingLog.Failed(_log, e, _name, "restart");
                Update(s => s with { State = ChildProcessState.Exited });
                _stopHost(1);
                return;
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>
    /// After the main process exited on its own: records it, stops what it left in its container
    /// (the same chain, every member) and frees the container. False when the host's stop came first.
    /// </summary>
    private async Task<bool> CleanUpAfterExitAsync(Process process, int exitCode)
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_stopping.IsCancellationRequested || _container is not ProcessContainer container)
            {
                return false;
            }

            Update(s => s with { State = ChildProcessState.Exited, ProcessId = null, LastExitCode = exitCode });
            HostingLog.ExitedOnItsOwn(_log, _name, process.Id, exitCode, _options.ExitPolicy);
            try
            {
                var chain = StopOptions.Graceful(_options.GracePeriod, _politeSignal);
                ContainerStopResult left = await container.StopAsync(chain, ContainerKillMode.ControlGroup, _stopping.Token).ConfigureAwait(false);
                if (left.Members.Any(m => !m.IsMain))
                {
                    HostingLog.LeftoversStopped(_log, _name, left.Outcome.ToString(), left.StepIndex, left.Members.Count);
                }
            }
            catch (OperationCanceledException)
            {
                // The host began to stop: the container's disposal below kills what is left.
            }
            catch (Exception e)
            {
                HostingLog.Failed(_log, e, _name, "stopping what its exited process left");
            }

            await ReleaseRunAsync(container).ConfigureAwait(false);
            return !_stopping.IsCancellationRequested;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Disposes the run's container (which kills anything still in it) and its process object; logs what goes wrong.</summary>
    private async Task ReleaseRunAsync(ProcessContainer container)
    {
        try
        {
            await container.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            HostingLog.Failed(_log, e, _name, "disposing its container");
        }

        _container = null;
        _process?.Dispose();
        _process = null;
    }

    private TimeSpan Backoff(int restarts)
    {
        double ms = _options.RestartBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(restarts, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.MaxRestartBackoff.TotalMilliseconds));
    }

    /// <summary>
    /// Waits for the main process's exit through a <see cref="ProcessHandle"/> (a pidfd, or a process
    /// handle), not <see cref="Process.WaitForExitAsync"/>, which also waits for the end of the
    /// redirected output that a grandchild may hold open for ever.
    /// </summary>
    private static async Task<int> ExitOfAsync(Process process, CancellationToken cancellationToken)
    {
        ProcessHandle? handle = null;
        try
        {
            handle = ProcessHandle.FromProcess(process);
        }
        catch (ProcessLookupException)
        {
            // It has exited already: its Process knows the code.
        }

        if (handle is not null)
        {
            using (handle)
            {
                await handle.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (ExitCodes.Of(handle.ExitStatus) is int code)
                {
                    return code;
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        process.WaitForExit(10_000);   // the timed overload does not wait for the output's end
        return process.ExitCode;
    }

    /// <summary>One structured line per stop: the outcome, the step that ended it, the time, and the pids the forced step ended.</summary>
    private void LogStopped(ContainerStopResult result, StopOptions chain, int? exitCode)
    {
        if (result.Outcome == StopOutcome.AlreadyExited)
        {
            HostingLog.StoppedAlreadyExited(_log, _name, result.Elapsed.TotalMilliseconds, exitCode);
            return;
        }

        int forced = chain.Steps.Count - 1;
        string killed = string.Join(", ", result.Members.Where(m => m.StepIndex is null || m.StepIndex == forced).Select(m => m.Pid));

        HostingLog.Stopped(_log, _name, result.Outcome.ToString(), result.StepIndex, result.Step?.ToString(), result.Elapsed.TotalMilliseconds, exitCode, result.Members.Count, killed);
    }

    /// <summary>Frees the gate and the token source; the run's container is freed by the stop or the kill.</summary>
    public void Dispose()
    {
        _stopping.Dispose();
        _gate.Dispose();
    }

    private void Update(Func<ChildProcessInfo, ChildProcessInfo> change)
    {
        lock (_infoLock)
        {
            _info = change(_info);
        }
    }
}
