namespace OsKill.Extensions.Hosting;

/// <summary>
/// What all of the host's children share: the order they are stopped in, and the part of the
/// host's shutdown timeout kept back for the final kill. Set it with
/// <c>services.Configure&lt;ChildProcessHostOptions&gt;(…)</c>.
/// </summary>
public sealed class ChildProcessHostOptions
{
    /// <summary>The order children are stopped in when the host shuts down; <see cref="ChildStopOrder.Reverse"/> by default.</summary>
    public ChildStopOrder StopOrder { get; set; } = ChildStopOrder.Reverse;

    /// <summary>
    /// How much of <c>HostOptions.ShutdownTimeout</c> is kept back for the containers' kill: the
    /// polite steps of every child end at the shutdown's start + ShutdownTimeout − KillReserve, and
    /// whatever is still running then is killed. 200 ms by default.
    /// </summary>
    public TimeSpan KillReserve { get; set; } = TimeSpan.FromMilliseconds(200);
}
