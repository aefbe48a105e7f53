using OsKill.Core;
namespace OsKill.Bsd;

/// <summary>
/// FreeBSD signal numbers, from &lt;sys/signal.h&gt;: the 4.4BSD set, plus SIGTHR (alias SIGLWP)
/// and SIGLIBRT. Real-time signals are 65 to 126, and NSIG is 129 as in CPython (FreeBSD's own
/// NSIG of 32 leaves the real-time signals out).
/// </summary>
internal static class FreeBsdSignals
{
    internal static SignalTable Table { get; } = new(
        "FreeBSD",
        nsig: 129,
        rtMin: 65,
        rtMax: 126,
        [.. BsdSignalNames.Common, ("THR", 32), ("LWP", 32), ("LIBRT", 33)]);
}
