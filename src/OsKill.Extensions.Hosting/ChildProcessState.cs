namespace OsKill.Extensions.Hosting;

/// <summary>Where a child is in its life.</summary>
public enum ChildProcessState
{
    /// <summary>Not started yet.</summary>
    NotStarted,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Exited on its own, and waiting out its backoff before a restart (<see cref="ExitPolicy.Restart"/>).</summary>
    Restarting,

    /// <summary>Exited on its own, and left so (<see cref="ExitPolicy.Ignore"/>, or the host is stopping because of it).</summary>
    Exited,

    /// <summary>Being stopped with the host.</summary>
    Stopping,

    /// <summary>Stopped with the host: its container is empty.</summary>
    Stopped,
}
