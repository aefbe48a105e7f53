using System.Runtime.InteropServices;

namespace OsKill.Interop;

/// <summary>The few ntdll calls that kernel32 does not offer: suspending a whole process, and a process's parent pid.</summary>
internal static partial class Ntdll
{
    internal const int STATUS_SUCCESS = 0;
    internal const int STATUS_NOT_IMPLEMENTED = unchecked((int)0xC0000002);
    internal const int STATUS_PROCESS_IS_TERMINATING = unchecked((int)0xC000010A);

    /// <summary>The information class of <see cref="ProcessBasicInformation"/>.</summary>
    internal const int ProcessBasicInformationClass = 0;

    /// <summary>NtSuspendProcess: suspends every thread of the process (the handle needs PROCESS_SUSPEND_RESUME).</summary>
    [LibraryImport(Libraries.Ntdll, EntryPoint = "NtSuspendProcess")]
    internal static partial int NtSuspendProcess(nint process);

    /// <summary>NtResumeProcess: undoes one <see cref="NtSuspendProcess"/>.</summary>
    [LibraryImport(Libraries.Ntdll, EntryPoint = "NtResumeProcess")]
    internal static partial int NtResumeProcess(nint process);

    /// <summary>NtQueryInformationProcess; with <see cref="ProcessBasicInformationClass"/>, the pid and parent pid (PROCESS_QUERY_LIMITED_INFORMATION is enough).</summary>
    [LibraryImport(Libraries.Ntdll, EntryPoint = "NtQueryInformationProcess")]
    internal static unsafe partial int NtQueryInformationProcess(nint process, int infoClass, void* info, uint length, out uint returnLength);

    /// <summary>RtlNtStatusToDosError: the Win32 error code for an NTSTATUS (ERROR_MR_MID_NOT_FOUND, 317, when there is none).</summary>
    [LibraryImport(Libraries.Ntdll, EntryPoint = "RtlNtStatusToDosError")]
    internal static partial int RtlNtStatusToDosError(int status);

    /// <summary>PROCESS_BASIC_INFORMATION.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ProcessBasicInformation
    {
        internal int ExitStatus;
        internal nint PebBaseAddress;
        internal nuint AffinityMask;
        internal int BasePriority;
        internal nuint UniqueProcessId;
        internal nuint InheritedFromUniqueProcessId;
    }
}
