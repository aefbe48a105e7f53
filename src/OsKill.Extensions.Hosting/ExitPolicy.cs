namespace OsKill.Extensions.Hosting;

/// <summary>What the host does when a child exits on its own (not during the host's shutdown).</summary>
public enum ExitPolicy
{
    /// <summary>Stop the host, with the child's exit code as the process's exit code when it is not 0.</summary>
    StopHost,

    /// <summary>Start the child again after a backoff, up to <see cref="ChildProcessOptions.MaxRestarts"/> times; then stop the host.</summary>
    Restart,

    /// <summary>Log the exit and do nothing else.</summary>
    Ignore,
}
