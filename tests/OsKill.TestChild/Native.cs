using System.Runtime.InteropServices;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace OsKill.TestChild;

/// <summary>The few libc calls the child needs to arrange its own signal state.</summary>
internal static partial class Native
{
    private const int RLIMIT_CORE = 4;
    private const int SIG_BLOCK = 0;

    /// <summary>signal(sig, SIG_DFL): put back the default action, overriding the runtime's handler.</summary>
    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint SetSignal(int sig, nint handler);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static unsafe partial int SetRLimit(int resource, ulong* limits);

    [LibraryImport("libc", EntryPoint = "pthread_sigmask")]
    private static unsafe partial int PthreadSigMask(int how, byte* set, byte* oldSet);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    private static unsafe partial int SigEmptySet(byte* set);

    [LibraryImport("libc", EntryPoint = "sigaddset")]
    private static unsafe partial int SigAddSet(byte* set, int sig);

    [LibraryImport("libc", EntryPoint = "gettid")]
    internal static partial int GetTid();

    internal static void RestoreDefault(int sig)
    {
        if (SetSignal(sig, 0) == -1)
        {
            throw new InvalidOperationException($"signal({sig}, SIG_DFL) failed");
        }
    }

    internal static unsafe void DisableCoreDumps()
    {
        ulong* limits = stackalloc ulong[2];
        limits[0] = 0;
        limits[1] = 0;
        _ = SetRLimit(RLIMIT_CORE, limits);
    }

    /// <summary>Blocks <paramref name="sig"/> in the calling thread only.</summary>
    internal static unsafe void BlockInThisThread(int sig)
    {
        byte* set = stackalloc byte[256];
        _ = SigEmptySet(set);
        _ = SigAddSet(set, sig);
        int rc = PthreadSigMask(SIG_BLOCK, set, null);
        if (rc != 0)
        {
            throw new InvalidOperationException($"pthread_sigmask failed: {rc}");
        }
    }
}
