namespace OsKill.Extensions.Hosting;

/// <summary>One child, as it is now.</summary>
/// <param name="Name">Its registered name.</param>
/// <param name="ProcessId">Its main process's id; null when it is not running.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Restarts">How many times it was started again after exiting.</param>
/// <param name="LastExitCode">The exit code of its last run (128 + N for a run ended by signal N); null until a run has ended.</param>
public sealed record ChildProcessInfo(string Name, int? ProcessId, ChildProcessState State, int Restarts, int? LastExitCode);
