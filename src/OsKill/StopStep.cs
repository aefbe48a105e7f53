namespace OsKill;

/// <summary>One step of a stop: send <paramref name="Signal"/>, then wait up to <paramref name="Timeout"/> for the process to exit.</summary>
/// <param name="Signal">
/// The signal. On Windows, <see cref="OsKill.Signal.CTRL_C_EVENT"/> and <see cref="OsKill.Signal.CTRL_BREAK_EVENT"/>
/// are console events and any other number ends the process with that exit code.
/// </param>
/// <param name="Timeout">
/// How long to wait for the exit before the next step. Any length is honoured, however long (a
/// 50-day step waits 50 days, though one timer holds at most about 49.7); <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>
/// waits until the process exits or the stop is cancelled, and so in practice does <see cref="TimeSpan.MaxValue"/>.
/// Negative values other than <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> are refused by
/// <see cref="StopOptions"/>, before anything is sent.
/// </param>
public readonly record struct StopStep(int Signal, TimeSpan Timeout);
