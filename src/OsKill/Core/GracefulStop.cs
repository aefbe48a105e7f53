namespace OsKill.Core;

/// <summary>
/// The stop of one process: <see cref="StepChain"/> against a <see cref="ProcessHandle"/>, whose
/// every signal goes through the handle.
/// </summary>
internal sealed class GracefulStop : IStopTarget
{
    private readonly ProcessHandle _process;

    private GracefulStop(ProcessHandle process) => _process = process;

    /// <summary>The longest single timer a step's wait uses; see <see cref="StepChain.LongestTimer"/>.</summary>
    internal static TimeSpan LongestTimer => StepChain.LongestTimer;

    internal static Task<StopResult> RunAsync(ProcessHandle process, StopOptions options, CancellationToken cancellationToken) =>
        RunAsync(process, options, StepChain.LongestTimer, cancellationToken);

    /// <summary>As <see cref="RunAsync(ProcessHandle, StopOptions, CancellationToken)"/>, with the longest timer given (the tests shorten it).</summary>
    internal static async Task<StopResult> RunAsync(ProcessHandle process, StopOptions options, TimeSpan longestTimer, CancellationToken cancellationToken)
    {
        StepChain.Outcome outcome = await StepChain.RunAsync(new GracefulStop(process), options, longestTimer, cancellationToken).ConfigureAwait(false);
        return outcome.Exited
            ? StopResult.EndedAfter(outcome.StepIndex, options, outcome.Elapsed, process.ExitStatus)
            : StopResult.NotEnded(outcome.Elapsed);
    }

    /// <inheritdoc/>
    public bool Send(int index, StopStep step, CancellationToken cancellationToken)
    {
        // Nothing is sent to a process that had exited before the first step.
        if (index == 0 && !_process.IsAlive)
        {
            return false;
        }

        try
        {
            _process.Signal(step.Number);
            return true;
        }
        catch (ProcessLookupException)
        {
            // It exited between the last check and this signal: the previous step ended it.
            return false;
        }
    }

    /// <inheritdoc/>
    public async Task<bool> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }
}
