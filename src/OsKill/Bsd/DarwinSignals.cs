using OsKill.Core;
namespace OsKill.Bsd;

/// <summary>
/// macOS (Darwin) signal numbers, from &lt;sys/signal.h&gt;: the 4.4BSD set, and no real-time
/// signals.
/// </summary>
internal static class DarwinSignals
{
    internal static SignalTable Table { get; } = new("macOS", nsig: 32, rtMin: 0, rtMax: 0, BsdSignalNames.Common);
}
