using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace OsKill.Core;

/// <summary>
/// The two ends of a container backend's close, the same on every platform: <c>Dispose</c> never
/// throws and reports a failure through <see cref="OsKillEventSource"/>; <c>DisposeAsync</c> throws it.
/// </summary>
internal static class ContainerClose
{
    /// <summary>The end of <c>Dispose</c>: <paramref name="synchronousClose"/> has completed; its failure, if any, is reported.</summary>
    /// <param name="synchronousClose">A close that waited on the calling thread, so it has completed, and never faults.</param>
    /// <param name="container">The container, for the event: its cgroup directory, or "job object".</param>
    internal static void Report(Task<Outcome> synchronousClose, string container)
    {
        Debug.Assert(synchronousClose.IsCompleted, "a synchronous close awaits nothing");
        Outcome outcome = synchronousClose.GetAwaiter().GetResult();
        if (outcome.Failure is Exception failure)
        {
            OsKillEventSource.Log.ContainerDisposeFailed(container, $"{failure.GetType().FullName}: {failure.Message}", outcome.HandOver ?? string.Empty);
        }
    }

    /// <summary>The end of <c>DisposeAsync</c>: throws the failure of <paramref name="close"/> (the same exception object, with its stack).</summary>
    internal static async ValueTask ThrowAsync(Task<Outcome> close)
    {
        Outcome outcome = await close.ConfigureAwait(false);
        if (outcome.Failure is Exception failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>How a close ended: null, or the failure and what was done with the members left (for the event).</summary>
    internal readonly record struct Outcome(Exception? Failure, string? HandOver)
    {
        /// <summary>The close went well.</summary>
        internal static Outcome Done => new(null, null);
    }
}
