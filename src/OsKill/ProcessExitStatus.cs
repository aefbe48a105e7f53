namespace OsKill;

/// <summary>How a process ended: an exit code, or on POSIX a terminating signal.</summary>
/// <param name="ExitCode">The exit code, when the process exited (on Windows, always).</param>
/// <param name="TerminatingSignal">The signal that ended it (POSIX), when a signal did.</param>
/// <param name="CoreDumped">Whether the kernel wrote a core dump (POSIX).</param>
public readonly record struct ProcessExitStatus(int? ExitCode, int? TerminatingSignal, bool CoreDumped = false)
{
    /// <summary>"exited with code 3", or "killed by signal 15 (SIGTERM)".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => TerminatingSignal is int sig
        ? $"killed by {OsException.SignalText(sig)}{(CoreDumped ? " (core dumped)" : string.Empty)}"
        : $"exited with code {ExitCode}";
}
