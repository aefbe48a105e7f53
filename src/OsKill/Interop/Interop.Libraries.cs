namespace OsKill.Interop;

/// <summary>Names of the native libraries that OsKill binds. Nothing here is shipped by OsKill.</summary>
internal static class Libraries
{
    /// <summary>
    /// The C library. The .NET runtime maps the name "libc" to the platform's C library
    /// (libc.so.6 on glibc, libc.musl on Alpine, libSystem on macOS, libc.so.7 on FreeBSD).
    /// </summary>
    internal const string Libc = "libc";

    /// <summary>The Windows kernel: processes and consoles.</summary>
    internal const string Kernel32 = "kernel32.dll";

    /// <summary>The Windows native API, below kernel32: process suspension and process information.</summary>
    internal const string Ntdll = "ntdll.dll";

    /// <summary>The Windows window manager: the top-level windows a polite close posts WM_CLOSE to.</summary>
    internal const string User32 = "user32.dll";
}
