using System.Globalization;

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
    /// <summary>
    /// True when <see cref="ExitCode"/> is .NET's <see cref="System.Diagnostics.Process.ExitCode"/>
    /// of a child that .NET reaped, on a runtime that does not say whether a signal ended it (before
    /// .NET 11), and the code is 128 + N for a signal N: .NET reports death by signal N as exit code
    /// 128 + N, so the process either exited with that code or was killed by signal N, and which one
    /// cannot be known. <see cref="TerminatingSignal"/> is null then. On .NET 11 the runtime's
    /// <c>Process.WaitForExitStatus</c> tells them apart, and this is false.
    /// </summary>
    public bool ExitCodeMayBeSignal { get; private init; }

    /// <summary>The terminating signal as .NET's <see cref="System.Runtime.InteropServices.PosixSignal"/> (see <see cref="Signal.ToPosixSignal"/>), or null when no signal ended the process.</summary>
    public System.Runtime.InteropServices.PosixSignal? PosixSignal => TerminatingSignal is int sig ? Signal.ToPosixSignal(sig) : null;

    /// <summary>
    /// "exited with code 3", "killed by signal 15 (SIGTERM)", or where .NET's exit code cannot tell
    /// the two apart "exited with code 143, or killed by signal 15 (SIGTERM): .NET's Process reports
    /// both as 143".
    /// </summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        if (TerminatingSignal is int sig)
        {
            return $"killed by {OsException.SignalText(sig)}{(CoreDumped ? " (core dumped)" : string.Empty)}";
        }

        if (ExitCodeMayBeSignal && ExitCode is int code)
        {
            string text = code.ToString(CultureInfo.InvariantCulture);
            return $"exited with code {text}, or killed by {OsException.SignalText(code - DotNetSignalBase)}: .NET's Process reports both as {text}";
        }

        return $"exited with code {ExitCode}";
    }

    /// <summary>What .NET's Process adds to a signal number to make the exit code of a child that the signal ended.</summary>
    internal const int DotNetSignalBase = 128;

    /// <summary>
    /// The status of a child that .NET reaped, from its <see cref="System.Diagnostics.Process.ExitCode"/>
    /// alone: flagged with <see cref="ExitCodeMayBeSignal"/> when the code is 128 + a signal of this OS.
    /// </summary>
    internal static ExitStatus FromDotNetExitCode(int exitCode, int nsig) => new(exitCode, null)
    {
        ExitCodeMayBeSignal = exitCode > DotNetSignalBase && exitCode - DotNetSignalBase < nsig,
    };
}
