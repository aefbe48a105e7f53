using System.Diagnostics;

namespace OsKill;

/// <summary>Runs the steps of a <see cref="StopOptions"/> against one <see cref="ProcessHandle"/>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[System.Runtime.Versioning.SupportedOSPlatform("windows")]
[System.Runtime.Versioning.SupportedOSPlatform("macos")]
[System.Runtime.Versioning.SupportedOSPlatform("freebsd")]
internal static class GracefulStop
{
    internal static async Task<StopResult> RunAsync(ProcessHandle process, StopOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (!process.IsAlive)
        {
            return new StopResult { Exited = true, AlreadyExited = true, Elapsed = clock.Elapsed, ExitStatus = process.ExitStatus };
        }

        for (int i = 0; i < options.Steps.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            StopStep step = options.Steps[i];
            try
            {
                process.Signal(step.Signal);
            }
            catch (ProcessLookupException)
            {
                // It exited between the last check and this signal: the previous step ended it.
                return Ended(process, i == 0 ? null : i - 1, clock, options);
            }

            using var stepTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stepTimeout.CancelAfter(step.Timeout);
            try
            {
                await process.WaitForExitAsync(stepTimeout.Token).ConfigureAwait(false);
                return Ended(process, i, clock, options);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This step's time is up: escalate.
            }
        }

        return new StopResult { Exited = false, Elapsed = clock.Elapsed };
    }

    private static StopResult Ended(ProcessHandle process, int? step, Stopwatch clock, StopOptions options) => new()
    {
        Exited = true,
        AlreadyExited = step is null,
        StepIndex = step,
        Signal = step is int s ? options.Steps[s].Signal : null,
        Elapsed = clock.Elapsed,
        ExitStatus = process.ExitStatus,
    };
}
