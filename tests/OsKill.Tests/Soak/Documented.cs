namespace OsKill.Tests.Soak;

/// <summary>The public calls the soak makes, each judged against its own documented exceptions.</summary>
internal enum Api
{
    OsKillPid,
    OsKillHandle,
    PidfdOpen,
    Open,
    FromProcess,
    Signal,
    Wait,
    Stop,
    KillTree,
    StopTree,
    TreeKillPid,
    TreeKillPidfd,
    TreeStopPid,
    ContainerNew,
    ContainerStart,
    ContainerKill,
    ContainerIds,
    ContainerDispose,
}

/// <summary>
/// The exceptions each public call documents in its &lt;exception&gt; lines, and which of those
/// cannot happen to the soak's targets (live processes of the test host's own, never the caller,
/// signalled as root): such an exception is a violation too.
/// </summary>
internal static class Documented
{
    private static readonly Type[] Tree =
    [
        typeof(ProcessLookupException), typeof(ArgumentException), typeof(PermissionDeniedException), typeof(TimeoutException),
        typeof(ObjectDisposedException), typeof(PlatformNotSupportedException), typeof(OsException), typeof(OperationCanceledException),
    ];

    private static readonly Dictionary<Api, Type[]> s_documented = new()
    {
        [Api.OsKillPid] = [typeof(OsException)],
        [Api.OsKillHandle] = [typeof(ArgumentException), typeof(ObjectDisposedException), typeof(OsException), typeof(PlatformNotSupportedException)],
        [Api.PidfdOpen] = [typeof(OsException), typeof(PlatformNotSupportedException)],
        [Api.Open] = [typeof(ArgumentOutOfRangeException), typeof(OsException)],
        [Api.FromProcess] = [typeof(ArgumentNullException), typeof(OsException)],
        [Api.Signal] = [typeof(ProcessLookupException), typeof(ObjectDisposedException)],
        [Api.Wait] = [typeof(ObjectDisposedException), typeof(OsException), typeof(OperationCanceledException)],
        [Api.Stop] = [typeof(ObjectDisposedException), typeof(OsException), typeof(OperationCanceledException)],
        [Api.KillTree] = Tree,
        [Api.StopTree] = Tree,
        [Api.TreeKillPid] = Tree,
        [Api.TreeKillPidfd] = Tree,
        [Api.TreeStopPid] = Tree,
        [Api.ContainerNew] = [typeof(UnauthorizedAccessException), typeof(PlatformNotSupportedException), typeof(OsException)],
        [Api.ContainerStart] = [typeof(ArgumentException), typeof(System.ComponentModel.Win32Exception), typeof(UnauthorizedAccessException), typeof(TimeoutException), typeof(ObjectDisposedException), typeof(OsException)],
        [Api.ContainerKill] = [typeof(TimeoutException), typeof(UnauthorizedAccessException), typeof(OsException), typeof(ObjectDisposedException), typeof(OperationCanceledException)],
        [Api.ContainerIds] = [typeof(ObjectDisposedException), typeof(OsException)],
        [Api.ContainerDispose] = [typeof(OsException), typeof(TimeoutException)],
    };

    /// <summary>Documented, but impossible for the soak's targets: the caller is never a target, the test host runs as root, and every target is alive when the call starts.</summary>
    private static readonly Type[] s_notHere = [typeof(ArgumentException), typeof(PermissionDeniedException), typeof(ProcessLookupException), typeof(UnauthorizedAccessException), typeof(PlatformNotSupportedException)];

    /// <summary>The documented exception types of <paramref name="api"/>.</summary>
    internal static IReadOnlyList<Type> Of(Api api) => s_documented[api];

    /// <summary>
    /// Null when <paramref name="error"/> is what <paramref name="api"/> may throw here; else what is
    /// wrong with it. A veto must come back as the hook's own exception (or first in an
    /// <see cref="AggregateException"/>); a cancellation only when the caller cancelled, an
    /// <see cref="ObjectDisposedException"/> only when the handle was disposed.
    /// </summary>
    internal static string? Judge(Api api, Exception error, VetoPlan plan, bool cancelled, bool disposed, bool rootGone = false)
    {
        Exception first = error is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[0] : error;
        if (plan.Fired is SoakVetoException veto && ReferenceEquals(first, veto))
        {
            return null;
        }

        if (first is SoakVetoException)
        {
            return $"a veto came back from a call that the plan did not veto ({plan}): {error.GetType().Name}";
        }

        if (error is OperationCanceledException)
        {
            return cancelled ? null : $"cancelled, but the caller never cancelled: {Describe(error)}";
        }

        if (error is ObjectDisposedException && disposed)
        {
            return null;
        }

        if (!s_documented[api].Any(t => t.IsInstanceOfType(error)))
        {
            return $"{api} threw {Describe(error)}, which it does not document ({string.Join(", ", s_documented[api].Select(t => t.Name))})";
        }

        if (error is ObjectDisposedException)
        {
            return $"ObjectDisposedException though nothing was disposed: {Describe(error)}";
        }

        if (s_notHere.Any(t => t.IsInstanceOfType(error)) && !(rootGone && error is ProcessLookupException))
        {
            return $"{api} threw {Describe(error)}: documented, but impossible for a live target that the caller may signal";
        }

        if (plan.Fired is not null && !cancelled && !disposed)
        {
            return $"the hook vetoed an event ({plan.Fired.Message}), but the call threw {Describe(error)} instead of the veto";
        }

        return null;
    }

    /// <summary>"Type (errno N): message", on one line.</summary>
    internal static string Describe(Exception e)
    {
        string errno = e is OsException os ? $" (errno {os.Errno})" : string.Empty;
        return $"{e.GetType().Name}{errno}: {e.Message.ReplaceLineEndings(" ")}";
    }
}
