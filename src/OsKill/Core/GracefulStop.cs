using System.Diagnostics;

namespace OsKill.Core;

/// <summary>Runs the steps of a <see cref="StopOptions"/> against one <see cref="ProcessHandle"/>.</summary>
internal static class GracefulStop
{
    /// <summary>
    /// The longest time one <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> is given
    /// (its limit is about 49.7 days; <see cref="int.MaxValue"/> ms, about 24.8 days, is safe on
    /// every runtime). A longer step is waited in several parts.
    /// </summary>
    internal static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(int.MaxValue);

    internal static Task<StopResult> RunAsync(ProcessHandle process, StopOptions options, CancellationToken cancellationToken) =>
        RunAsync(process, options, LongestTimer, cancellationToken);

    /// <summary>As <see cref="RunAsync(ProcessHandle, StopOptions, CancellationToken)"/>, with the longest timer given (the tests shorten it).</summary>
    internal static async Task<StopResult> RunAsync(ProcessHandle process, StopOptions options, TimeSpan longestTimer, CancellationToken cancellationToken)
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

            if (await WaitForExitAsync(process, step.Timeout, longestTimer, cancellationToken).ConfigureAwait(false))
            {
                return Ended(process, i, clock, options);
            }
        }

        return new StopResult { Exited = false, Elapsed = clock.Elapsed };
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the exit: true if it came, false when the time
    /// is up. Any length is honoured: <see cref="Timeout.InfiniteTimeSpan"/> (and any timeout past
    /// the range of a <see cref="Stopwatch"/> timestamp, such as <see cref="TimeSpan.MaxValue"/>)
    /// waits for as long as it takes, and a timeout longer than <paramref name="longestTimer"/> is
    /// waited in parts against one deadline.
    /// </summary>
    private static async Task<bool> WaitForExitAsync(ProcessHandle process, TimeSpan timeout, TimeSpan longestTimer, CancellationToken cancellationToken)
    {
        long deadline = Deadline.After(timeout);
        TimeSpan left = timeout;
        while (true)
        {
            bool lastPart = left == Timeout.InfiniteTimeSpan || left <= longestTimer;
            using var part = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (left != Timeout.InfiniteTimeSpan)
            {
                part.CancelAfter(lastPart ? left : longestTimer);
            }

            try
            {
                await process.WaitForExitAsync(part.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (lastPart)
                {
                    return false; // this step's time is up: escalate
                }
            }

            left = Deadline.Remaining(deadline);
        }
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
