using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using OsKill.Interop;

namespace OsKill.Windows;

/// <summary>A kernel object handle (a job, a completion port), closed with CloseHandle.</summary>
[SupportedOSPlatform("windows")]
internal sealed class KernelHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    internal KernelHandle(nint handle)
        : base(ownsHandle: true)
    {
        SetHandle(handle);
    }

    protected override bool ReleaseHandle() => Kernel32.CloseHandle(handle);
}
