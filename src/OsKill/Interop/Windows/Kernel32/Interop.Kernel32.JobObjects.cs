using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    internal const int JobObjectBasicAccountingInformation = 1;
    internal const int JobObjectBasicProcessIdList = 3;
    internal const int JobObjectAssociateCompletionPortInformation = 7;
    internal const int JobObjectExtendedLimitInformation = 9;

    internal const uint JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000;

    /// <summary>Posted to the job's completion port when its last active process has exited.</summary>
    internal const uint JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO = 4;

    /// <summary>The access a process handle needs for AssignProcessToJobObject.</summary>
    internal const uint PROCESS_SET_QUOTA = 0x0100;

    internal const int ERROR_MORE_DATA = 234;

    /// <summary>CreateJobObjectW: an unnamed job when <paramref name="name"/> is null.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "CreateJobObjectW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    internal static partial nint CreateJobObject(nint jobAttributes, string? name);

    /// <summary>SetInformationJobObject.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "SetInformationJobObject", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static unsafe partial bool SetInformationJobObject(nint job, int infoClass, void* info, uint length);

    /// <summary>QueryInformationJobObject.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "QueryInformationJobObject", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static unsafe partial bool QueryInformationJobObject(nint job, int infoClass, void* info, uint length, out uint returnLength);

    /// <summary>AssignProcessToJobObject: the process handle needs PROCESS_SET_QUOTA and PROCESS_TERMINATE.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "AssignProcessToJobObject", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool AssignProcessToJobObject(nint job, nint process);

    /// <summary>TerminateJobObject: ends every process in the job with this exit code.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "TerminateJobObject", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool TerminateJobObject(nint job, uint exitCode);

    /// <summary>IsProcessInJob: whether the process is in the job.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "IsProcessInJob", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool IsProcessInJob(nint process, nint job, [MarshalAs(UnmanagedType.Bool)] out bool result);

    /// <summary>JOBOBJECT_BASIC_LIMIT_INFORMATION.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct JobBasicLimitInformation
    {
        internal long PerProcessUserTimeLimit;
        internal long PerJobUserTimeLimit;
        internal uint LimitFlags;
        internal nuint MinimumWorkingSetSize;
        internal nuint MaximumWorkingSetSize;
        internal uint ActiveProcessLimit;
        internal nuint Affinity;
        internal uint PriorityClass;
        internal uint SchedulingClass;
    }

    /// <summary>JOBOBJECT_EXTENDED_LIMIT_INFORMATION (the IO_COUNTERS are six 64-bit counters).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct JobExtendedLimitInformation
    {
        internal JobBasicLimitInformation BasicLimitInformation;
        internal ulong ReadOperationCount;
        internal ulong WriteOperationCount;
        internal ulong OtherOperationCount;
        internal ulong ReadTransferCount;
        internal ulong WriteTransferCount;
        internal ulong OtherTransferCount;
        internal nuint ProcessMemoryLimit;
        internal nuint JobMemoryLimit;
        internal nuint PeakProcessMemoryUsed;
        internal nuint PeakJobMemoryUsed;
    }

    /// <summary>JOBOBJECT_BASIC_ACCOUNTING_INFORMATION.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct JobBasicAccountingInformation
    {
        internal long TotalUserTime;
        internal long TotalKernelTime;
        internal long ThisPeriodTotalUserTime;
        internal long ThisPeriodTotalKernelTime;
        internal uint TotalPageFaultCount;
        internal uint TotalProcesses;
        internal uint ActiveProcesses;
        internal uint TotalTerminatedProcesses;
    }

    /// <summary>JOBOBJECT_ASSOCIATE_COMPLETION_PORT.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct JobAssociateCompletionPort
    {
        internal nint CompletionKey;
        internal nint CompletionPort;
    }
}
