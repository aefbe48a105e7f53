namespace OsKill.Cli;

/// <summary>What a signal number means to oskill on Windows.</summary>
internal enum WindowsAction
{
    /// <summary>0: check that the process exists (never Ctrl+C, unlike Os.Kill's signal 0 on Windows).</summary>
    Probe,

    /// <summary>INT: Ctrl+C to the process's console.</summary>
    CtrlC,

    /// <summary>BREAK: Ctrl+Break to the process's console.</summary>
    CtrlBreak,

    /// <summary>Any other number: TerminateProcess with that exit code.</summary>
    Terminate,

    /// <summary>1: the library has no way to end a process with exit code 1 (Os.Kill's 1 is Ctrl+Break).</summary>
    Unsupported,
}

/// <summary>
/// The Windows meaning of oskill's signals: INT is Ctrl+C, BREAK is Ctrl+Break, 0 is the existence
/// check, and anything else ends the process with the number as its exit code.
/// </summary>
internal static class WindowsMapping
{
    private const int SigInt = 2;
    private const int SigBreak = 21;

    internal static WindowsAction ActionFor(int sig) => sig switch
    {
        0 => WindowsAction.Probe,
        1 => WindowsAction.Unsupported,
        SigInt => WindowsAction.CtrlC,
        SigBreak => WindowsAction.CtrlBreak,
        _ => WindowsAction.Terminate,
    };

    /// <summary>The number a StopStep takes for this signal (console events are 0 and 1 there), or null where a step cannot do it.</summary>
    internal static int? StopStepSignal(int sig) => ActionFor(sig) switch
    {
        WindowsAction.CtrlC => 0,
        WindowsAction.CtrlBreak => 1,
        WindowsAction.Terminate => sig,
        _ => null,
    };

    internal static string Describe(int sig) => ActionFor(sig) switch
    {
        WindowsAction.Probe => "the existence check",
        WindowsAction.CtrlC => "Ctrl+C",
        WindowsAction.CtrlBreak => "Ctrl+Break",
        _ => $"termination with exit code {sig}",
    };
}
