namespace OsKill.Extensions.Hosting;

/// <summary>The host's child processes, as they are now: inject it to read their process ids and states.</summary>
public interface IChildProcesses
{
    /// <summary>Every registered child, in start order.</summary>
    IReadOnlyList<ChildProcessInfo> Children { get; }
}

/// <summary>One child, as it is now.</summary>
/// <param name="Name">Its registered name.</param>
/// <param name="ProcessId">Its main process's id; null when it is not running.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Restarts">How many times it was started again after exiting.</param>
public sealed record ChildProcessInfo(string Name, int? ProcessId, ChildProcessState State, int Restarts);

/// <summary>Where a child is in its life.</summary>
public enum ChildProcessState
{
    /// <summary>Not started yet.</summary>
    NotStarted,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Exited on its own; waiting for a restart, or left as it is (see <see cref="ExitPolicy"/>).</summary>
    Exited,

    /// <summary>Stopped with the host.</summary>
    Stopped,
}
