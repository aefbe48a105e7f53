using System.Runtime.InteropServices;

namespace OsKill.Bench;

/// <summary>The libc calls the harness makes for its own bookkeeping (not the measured ones).</summary>
internal static partial class Native
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);
}
