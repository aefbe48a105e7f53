using System.Diagnostics;

namespace OsKill.Core;

/// <summary>
/// Runs the steps of a <see cref="StopOptions"/> against an <see cref="IStopTarget"/>: send, wait up
/// to the step's timeout, and go on to the next step until the target has exited. The one step loop
/// of every stop: a single process (<see cref="ProcessHandle.StopAsync"/>), a tree
/// (<see cref="ProcessHandle.StopTreeAsync"/>) and a container (<see cref="ProcessContainer.StopAsync"/>) alike.
/// </summary>
internal static class StepChain
{
    /// <summary>
    /// The longest time one <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> is given
    /// (its limit is about 49.7 days; <see cref="int.MaxValue"/> ms, about 24.8 days, is safe on
    /// every runtime). A longer step is waited in several parts against one deadline.
    /// </summary>
    internal static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>
    /// Runs the chain. Returns the index of the step after which the target had exited (null when
    /// the first step found nothing alive), or, when the steps ran out first, an outcome that says so.
    /// </summary>
    /// <param name="target">What to stop.</param>
    /// <param name="options">The steps.</param>
    /// <param name="longestTimer">The longest single timer (the tests shorten it).</param>
    /// <param name="cancellationToken">Stops the chain: nothing more is sent.</param>
    /// <param name="oneBudget">
    /// False: each step waits its whole timeout after its signal has gone out. True: the steps
    /// share one budget, the sum of their timeouts from the start of the chain, so that the time a
    /// step takes to send (listing and signalling a thousand members) and a step left early (a
    /// mixed-mode main process that exited) count against it: step i gives up at the start plus the
    /// timeouts of steps 0 to i. The last step's wait is never cut short by the earlier ones.
    /// </param>
    internal static async Task<Outcome> RunAsync(IStopTarget target, StopOptions options, TimeSpan longestTimer, CancellationToken cancellationToken, bool oneBudget = false)
    {
        var clock = Stopwatch.StartNew();
        long start = Stopwatch.GetTimestamp();
        TimeSpan budget = TimeSpan.Zero;
        for (int i = 0; i < options.Steps.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            StopStep step = options.Steps[i];
            if (!target.Send(i, step, cancellationToken))
            {
                return new Outcome(true, i == 0 ? null : i - 1, clock.Elapsed);
            }

            TimeSpan timeout = step.Timeout;
            if (oneBudget && budget != Timeout.InfiniteTimeSpan)
            {
                budget = timeout == Timeout.InfiniteTimeSpan || timeout >= TimeSpan.MaxValue - budget ? Timeout.InfiniteTimeSpan : budget + timeout;
                if (budget != Timeout.InfiniteTimeSpan && i < options.Steps.Count - 1)
                {
                    TimeSpan spent = Stopwatch.GetElapsedTime(start);
                    timeout = budget > spent ? budget - spent : TimeSpan.Zero;
                }
            }

            if (await WaitForExitAsync(target, timeout, longestTimer, cancellationToken).ConfigureAwait(false))
            {
                return new Outcome(true, i, clock.Elapsed);
            }
        }

        return new Outcome(false, null, clock.Elapsed);
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the exit: true if it came, false when the time
    /// is up. Any length is honoured: <see cref="Timeout.InfiniteTimeSpan"/> (and any timeout past
    /// the range of a <see cref="Stopwatch"/> timestamp, such as <see cref="TimeSpan.MaxValue"/>)
    /// waits for as long as it takes, and a timeout longer than <paramref name="longestTimer"/> is
    /// waited in parts against one deadline.
    /// </summary>
    private static async Task<bool> WaitForExitAsync(IStopTarget target, TimeSpan timeout, TimeSpan longestTimer, CancellationToken cancellationToken)
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
                // False: the target says the next step should go now.
                return await target.WaitForExitAsync(part.Token).ConfigureAwait(false);
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

    /// <summary>How a chain ended.</summary>
    /// <param name="Exited">True when the target had exited before the steps ran out.</param>
    /// <param name="StepIndex">The step after which it had exited; null when the first step found nothing alive, or when it did not exit.</param>
    /// <param name="Elapsed">From the start of the chain until the exit was seen, or the last step gave up.</param>
    internal readonly record struct Outcome(bool Exited, int? StepIndex, TimeSpan Elapsed);
}
