using System.Globalization;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Windows.Tree;

/// <summary>A member of a Windows process tree: our handle on it, which keeps its pid from being reused, and its creation time.</summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsTreeMember(int pid, SafeProcessHandle handle, long created) : TreeMember(pid)
{
    /// <summary>Our handle: it keeps the pid from being reused for as long as we hold it.</summary>
    internal SafeProcessHandle Handle { get; } = handle;

    /// <summary>The creation time (FILETIME ticks): a child is never older than its parent.</summary>
    internal long Created { get; } = created;

    /// <summary>We suspended it (NtSuspendProcess): resume it unless it is terminated.</summary>
    internal bool Suspended { get; set; }

    /// <summary>We ended it with TerminateProcess.</summary>
    internal bool Terminated { get; set; }

    /// <summary>The Win32 error of the last TerminateProcess that failed, for the error.</summary>
    internal int LastError { get; set; }

    /// <inheritdoc/>
    internal override string Describe() => "pid " + Pid.ToString(CultureInfo.InvariantCulture);

    /// <summary>Resumes it if we suspended it and did not end it (never leave a process suspended behind us, whatever failed), then closes our handle.</summary>
    internal void Release()
    {
        if (Suspended && !Terminated && !Handle.IsClosed)
        {
            Suspended = false;
            _ = Ntdll.NtResumeProcess(Handle.DangerousGetHandle());
        }

        Handle.Dispose();
    }
}
