using OsKill.Core;
namespace OsKill.Windows;

/// <summary>
/// The signal numbers of the Microsoft C runtime, which CPython's signal module exposes on
/// Windows. CTRL_C_EVENT (0) and CTRL_BREAK_EVENT (1) are console events, not signals, and are
/// not in this table.
/// </summary>
internal static class WindowsSignals
{
    internal const int CtrlCEvent = 0;
    internal const int CtrlBreakEvent = 1;

    internal static SignalTable Table { get; } = new(
        "Windows",
        nsig: 23,
        rtMin: 0,
        rtMax: 0,
        [("INT", 2), ("ILL", 4), ("FPE", 8), ("SEGV", 11), ("TERM", 15), ("BREAK", 21), ("ABRT", 22)]);

    /// <summary>The descriptions CPython gives on Windows, where the C runtime has no strsignal.</summary>
    internal static string? Describe(int sig) => sig switch
    {
        2 => "Interrupt",
        4 => "Illegal instruction",
        8 => "Floating point exception",
        11 => "Segmentation fault",
        15 => "Terminated",
        22 => "Aborted",
        _ => null,
    };
}
