using System.Runtime.Versioning;
using OsKill.Core;
namespace OsKill.Linux;

/// <summary>
/// Linux signal numbers for the architectures .NET runs on (x64, x86, arm, arm64, s390x,
/// ppc64le, riscv64, loongarch64 share them; MIPS, SPARC and Alpha differ and are not .NET targets).
/// SIGRTMIN and SIGRTMAX are read from the C library at run time, because glibc and musl keep
/// the first real-time signals for themselves.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class LinuxSignals
{
    private const int Nsig = 65;

    private static readonly (string, int)[] s_names =
    [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6),
        ("BUS", 7), ("FPE", 8), ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12),
        ("PIPE", 13), ("ALRM", 14), ("TERM", 15), ("STKFLT", 16), ("CHLD", 17), ("CLD", 17),
        ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21), ("TTOU", 22), ("URG", 23),
        ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27), ("WINCH", 28), ("IO", 29),
        ("POLL", 29), ("PWR", 30), ("SYS", 31),
    ];

    internal static SignalTable Create() =>
        new("Linux", Nsig, Interop.Libc.CurrentSigRtMin(), Interop.Libc.CurrentSigRtMax(), s_names);
}
