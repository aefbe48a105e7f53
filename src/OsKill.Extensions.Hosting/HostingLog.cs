using Microsoft.Extensions.Logging;

namespace OsKill.Extensions.Hosting;

/// <summary>What the supervisor logs, with structured fields (category OsKill.Extensions.Hosting.ChildProcessSupervisor).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(1, LogLevel.Information, "Child process {Child} started: pid {Pid} ({FileName})")]
    public static partial void Started(ILogger logger, string child, int pid, string fileName);

    [LoggerMessage(2, LogLevel.Information, "Child process {Child} stopped: {Outcome} after step {StepIndex} ({Step}) in {ElapsedMs:F0} ms; exit code {ExitCode}; processes seen: {MemberCount}, killed: [{Killed}]")]
    public static partial void Stopped(ILogger logger, string child, string outcome, int? stepIndex, string? step, double elapsedMs, int? exitCode, int memberCount, string killed);

    [LoggerMessage(10, LogLevel.Information, "Child process {Child} stopped: AlreadyExited (nothing was left to stop) in {ElapsedMs:F0} ms; exit code {ExitCode}")]
    public static partial void StoppedAlreadyExited(ILogger logger, string child, double elapsedMs, int? exitCode);

    [LoggerMessage(3, LogLevel.Warning, "Child process {Child}: the host's shutdown timeout ran out during its stop; its container's kill ended {KilledCount} of its processes")]
    public static partial void KilledAtTimeout(ILogger logger, string child, int killedCount);

    [LoggerMessage(4, LogLevel.Warning, "Child process {Child} (pid {Pid}) exited on its own with code {ExitCode}; exit policy {Policy}")]
    public static partial void ExitedOnItsOwn(ILogger logger, string child, int pid, int exitCode, ExitPolicy policy);

    [LoggerMessage(5, LogLevel.Information, "Child process {Child}: restart {Restart} of {MaxRestarts} in {BackoffMs:F0} ms")]
    public static partial void Restarting(ILogger logger, string child, int restart, int maxRestarts, double backoffMs);

    [LoggerMessage(6, LogLevel.Error, "Child process {Child} exited with code {ExitCode} after {Restarts} restarts, its limit: stopping the host with exit code {HostExitCode}")]
    public static partial void RestartsSpent(ILogger logger, string child, int exitCode, int restarts, int hostExitCode);

    [LoggerMessage(7, LogLevel.Information, "Child process {Child} exited with code {ExitCode}: stopping the host with exit code {HostExitCode}")]
    public static partial void StoppingHost(ILogger logger, string child, int exitCode, int hostExitCode);

    [LoggerMessage(8, LogLevel.Error, "Child process {Child}: {What} failed")]
    public static partial void Failed(ILogger logger, Exception exception, string child, string what);

    [LoggerMessage(9, LogLevel.Information, "Child process {Child}: what its main process left in its container was stopped: {Outcome} after step {StepIndex}; processes seen: {MemberCount}")]
    public static partial void LeftoversStopped(ILogger logger, string child, string outcome, int? stepIndex, int memberCount);
}
