namespace OsKill;

/// <summary>How a process ended: an exit code, or on POSIX a terminating signal.</summary>
/// <remarks>
/// Not named ProcessExitStatus, which .NET 11 has in System.Diagnostics (with ExitCode, Canceled and
/// a PosixSignal): a program with <c>using System.Diagnostics; using OsKill;</c> would not compile.
/// To hand one to code that takes .NET 11's type, use <see cref="PosixSignal"/> for its signal.
/// </remarks>
/// <param name="ExitCode">The exit code, when the process exited (on Windows, always).</param>
/// <param name="TerminatingSignal">The signal that ended it (POSIX), when a signal did.</param>
/// <param name="CoreDumped">Whether the kernel wrote a core dump (POSIX).</param>
public readonly record struct ExitStatus(int? ExitCode, int? TerminatingSignal, bool CoreDumped = false)
{
    /// <summary>The terminating signal as .NET's <see cref="System.Runtime.InteropServices.PosixSignal"/> (see <see cref="Signal.ToPosixSignal"/>), or null when no signal ended the process.</summary>
    public System.Runtime.InteropServices.PosixSignal? PosixSignal => TerminatingSignal is int sig ? Signal.ToPosixSignal(sig) : null;

    /// <summary>"exited with code 3", or "killed by signal 15 (SIGTERM)".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => TerminatingSignal is int sig
        ? $"killed by {OsException.SignalText(sig)}{(CoreDumped ? " (core dumped)" : string.Empty)}"
        : $"exited with code {ExitCode}";
}
