using System.Runtime.InteropServices;

namespace OsKill.Interop;

/// <summary>The Universal C Runtime, for the C signal functions on Windows.</summary>
internal static partial class Ucrt
{
    /// <summary>raise: runs the C runtime's handler for the signal (SIGINT, SIGTERM, SIGABRT, …); nonzero for an invalid one.</summary>
    [LibraryImport("ucrtbase.dll", EntryPoint = "raise")]
    internal static partial int Raise(int sig);
}
