namespace OsKill;

/// <summary>One step of a stop: send <paramref name="Signal"/>, then wait up to <paramref name="Timeout"/> for the process to exit.</summary>
/// <param name="Signal">
/// The signal. On Windows, <see cref="OsKill.Signal.CTRL_C_EVENT"/> and <see cref="OsKill.Signal.CTRL_BREAK_EVENT"/>
/// are console events and any other number ends the process with that exit code.
/// </param>
/// <param name="Timeout">How long to wait for the exit before the next step.</param>
public readonly record struct StopStep(int Signal, TimeSpan Timeout);
