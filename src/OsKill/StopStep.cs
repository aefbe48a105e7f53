using System.Globalization;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill;

/// <summary>
/// One step of a stop: send a signal (<see cref="SendSignal"/>) or, on Windows, end the process
/// with an exit code (<see cref="Terminate"/>); then wait up to <see cref="Timeout"/> for it to exit.
/// Exactly one of <see cref="Signal"/> and <see cref="ExitCode"/> is set, so a step says what it does.
/// </summary>
/// <remarks>
/// Make steps with the factories: <c>default(StopStep)</c> has neither and is refused by
/// <see cref="StopOptions"/>.
/// </remarks>
public readonly record struct StopStep
{
    private StopStep(int? signal, int? exitCode, TimeSpan timeout)
    {
        Signal = signal;
        ExitCode = exitCode;
        Timeout = timeout;
    }

    /// <summary>
    /// The signal this step sends (on Windows <see cref="OsKill.Signal.CTRL_C_EVENT"/> or
    /// <see cref="OsKill.Signal.CTRL_BREAK_EVENT"/>, console events); null for a step that ends the
    /// process with an exit code.
    /// </summary>
    public int? Signal { get; }

    /// <summary>The exit code this step ends the process with (Windows, TerminateProcess); null for a step that sends a signal.</summary>
    public int? ExitCode { get; }

    /// <summary>
    /// How long to wait for the exit before the next step. Any length is honoured, however long (a
    /// 50-day step waits 50 days, though one timer holds at most about 49.7);
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> waits until the process exits or the
    /// stop is cancelled, and so in practice does <see cref="TimeSpan.MaxValue"/>. Negative values
    /// other than <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> are refused by
    /// <see cref="StopOptions"/>, before anything is sent.
    /// </summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// The number that is sent, as <see cref="Os.Kill(int, int)"/> takes it: the signal, or on
    /// Windows the exit code. Only steps made by the factories reach the platform.
    /// </summary>
    internal int Number => Signal ?? ExitCode ?? throw new InvalidOperationException("default(StopStep) sends nothing: make steps with StopStep.SendSignal or StopStep.Terminate.");

    /// <summary>Whether a factory made the step (<c>default(StopStep)</c> has neither a signal nor an exit code).</summary>
    internal bool IsDefined => Signal is not null || ExitCode is not null;

    /// <summary>
    /// A step that sends <paramref name="signal"/>, as <see cref="Os.Kill(int, int)"/> would, then waits.
    /// </summary>
    /// <remarks>
    /// Python parity: on Windows only <see cref="OsKill.Signal.CTRL_C_EVENT"/> and
    /// <see cref="OsKill.Signal.CTRL_BREAK_EVENT"/> are signals there; any other number ends the
    /// process with that exit code, as <c>os.kill</c> does, and this factory then returns the same
    /// step as <see cref="Terminate"/> (its <see cref="ExitCode"/> set, its <see cref="Signal"/> null),
    /// so that the step says what it will do.
    /// </remarks>
    /// <param name="signal">The signal, such as <see cref="OsKill.Signal.SIGTERM"/>.</param>
    /// <param name="timeout">How long to wait for the exit afterwards; see <see cref="Timeout"/>.</param>
    /// <returns>The step.</returns>
    public static StopStep SendSignal(int signal, TimeSpan timeout) => PlatformServices.SignalEndsWithExitCode(signal)
        ? new StopStep(null, signal, timeout)
        : new StopStep(signal, null, timeout);

    /// <summary>
    /// A step that ends the process with <paramref name="exitCode"/> (TerminateProcess; for a tree,
    /// every member), then waits. Windows only: a POSIX process cannot be given an exit code from
    /// outside; use <see cref="SendSignal"/> with <see cref="OsKill.Signal.SIGKILL"/> there.
    /// </summary>
    /// <param name="exitCode">The exit code; −1 is what every forced end gives on Windows (<see cref="System.Diagnostics.Process.Kill()"/>, <see cref="StopOptions.Default"/>).</param>
    /// <param name="timeout">How long to wait for the exit afterwards; see <see cref="Timeout"/>.</param>
    /// <returns>The step.</returns>
    /// <exception cref="PlatformNotSupportedException">Not on Windows.</exception>
    [SupportedOSPlatform("windows")]
    public static StopStep Terminate(int exitCode, TimeSpan timeout) => PlatformServices.ExitCodesSupported
        ? new StopStep(null, exitCode, timeout)
        : throw new PlatformNotSupportedException(string.Create(CultureInfo.InvariantCulture, $"StopStep.Terminate({exitCode}): only Windows can end a process with an exit code chosen from outside; use StopStep.SendSignal(Signal.SIGKILL, timeout)."));

    /// <summary>"signal 15 (SIGTERM), then wait 5000 ms", or "exit code 77, then wait 5000 ms".</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        string what = Signal is int sig ? OsException.SignalText(sig)
            : ExitCode is int code ? string.Create(CultureInfo.InvariantCulture, $"exit code {code}")
            : "nothing (default)";
        return Timeout == System.Threading.Timeout.InfiniteTimeSpan
            ? $"{what}, then wait until it exits"
            : string.Create(CultureInfo.InvariantCulture, $"{what}, then wait {Timeout.TotalMilliseconds:0} ms");
    }
}
