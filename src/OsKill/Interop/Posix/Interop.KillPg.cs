using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    /// <summary>killpg(3): send <paramref name="sig"/> to the process group <paramref name="pgrp"/>.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "killpg", SetLastError = true)]
    internal static partial int KillPg(int pgrp, int sig);
}
