using OsKill.Core;

namespace OsKill;

/// <summary>
/// How <see cref="ProcessHandle.StopAsync"/> stops a process: a chain of steps (<see cref="StopStep.SendSignal"/>, or on Windows <see cref="StopStep.Terminate"/>),
/// like util-linux <c>kill --timeout</c>. Each step sends its signal and waits; the first step after
/// which the process has exited ends the stop.
/// </summary>
/// <remarks>Immutable: its steps cannot be changed after construction, so one instance may be shared.</remarks>
public sealed class StopOptions
{
    /// <summary>The grace period of <see cref="Default"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>Creates options with these steps.</summary>
    /// <param name="steps">
    /// At least one step. A step's timeout may have any length: <see cref="TimeSpan.Zero"/> (send,
    /// then move on unless the process is already gone), days or weeks (honoured in full, even past
    /// the 49.7-day limit of <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>), or
    /// <see cref="Timeout.InfiniteTimeSpan"/> (wait until the process exits or the call is
    /// cancelled; <see cref="TimeSpan.MaxValue"/>, some 29,000 years, is the same in practice).
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="steps"/> is null.</exception>
    /// <exception cref="ArgumentException">No steps, or a negative timeout other than <see cref="Timeout.InfiniteTimeSpan"/>. Checked here, before anything can be sent.</exception>
    public StopOptions(IEnumerable<StopStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        StopStep[] array = [.. steps];
        if (array.Length == 0)
        {
            throw new ArgumentException("A stop needs at least one step.", nameof(steps));
        }

        foreach (StopStep step in array)
        {
            if (!step.IsDefined)
            {
                throw new ArgumentException("A step is default(StopStep), which sends nothing: make steps with StopStep.SendSignal or StopStep.Terminate.", nameof(steps));
            }

            if (step.Timeout < TimeSpan.Zero && step.Timeout != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentException($"The step \"{step}\" has a negative timeout ({step.Timeout}).", nameof(steps));
            }
        }

        Steps = Array.AsReadOnly(array);
    }

    /// <summary>
    /// The default: on POSIX SIGTERM, wait 5 s, then SIGKILL and wait 5 s; on Windows Ctrl+C to the
    /// process's console, wait 5 s, then TerminateProcess (exit code −1) and wait 5 s. The same
    /// instance on every read.
    /// </summary>
    public static StopOptions Default { get; } = Graceful(DefaultGracePeriod);

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<StopStep> Steps { get; }

    /// <summary>
    /// Polite, then forced: <paramref name="politeSignal"/> (default SIGTERM; Ctrl+C on Windows),
    /// wait up to <paramref name="gracePeriod"/>, then the platform's forced end and wait up to 5 s
    /// more: SIGKILL; on Windows <see cref="StopStep.Terminate"/> with exit code −1, the code every
    /// forced end gives there.
    /// </summary>
    /// <param name="gracePeriod">How long the process gets to exit after the polite signal.</param>
    /// <param name="politeSignal">The polite signal, such as SIGINT or SIGHUP.</param>
    /// <returns>The options.</returns>
    public static StopOptions Graceful(TimeSpan gracePeriod, int? politeSignal = null)
    {
        int polite = politeSignal ?? PlatformServices.PoliteStopSignal;
        return new StopOptions([StopStep.SendSignal(polite, gracePeriod), PlatformServices.ForcedStopStep(DefaultGracePeriod)]);
    }
}
