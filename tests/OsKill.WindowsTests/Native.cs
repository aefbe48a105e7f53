using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("windows")]

namespace OsKill.WindowsTests;

/// <summary>The kernel32 calls the tests make for themselves, apart from the library.</summary>
internal static unsafe partial class Native
{
    internal const int STD_INPUT_HANDLE = -10;
    internal const int STD_OUTPUT_HANDLE = -11;
    internal const int STD_ERROR_HANDLE = -12;

    internal const uint CTRL_C_EVENT = 0;
    internal const uint CTRL_BREAK_EVENT = 1;

    internal const uint CREATE_NEW_CONSOLE = 0x00000010;
    internal const uint CREATE_NEW_PROCESS_GROUP = 0x00000200;
    internal const uint CREATE_UNICODE_ENVIRONMENT = 0x00000400;

    internal const uint WAIT_OBJECT_0 = 0;
    internal const uint WAIT_TIMEOUT = 0x102;
    internal const uint STILL_ACTIVE = 259;

    [StructLayout(LayoutKind.Sequential)]
    internal struct StartupInfo
    {
        public int Cb;
        public nint Reserved;
        public nint Desktop;
        public nint Title;
        public int X;
        public int Y;
        public int XSize;
        public int YSize;
        public int XCountChars;
        public int YCountChars;
        public int FillAttribute;
        public int Flags;
        public short ShowWindow;
        public short CbReserved2;
        public nint Reserved2;
        public nint StdInput;
        public nint StdOutput;
        public nint StdError;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct ProcessInformation
    {
        public nint Process;
        public nint Thread;
        public int ProcessId;
        public int ThreadId;
    }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    internal static partial nint GetStdHandle(int which);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool SetStdHandle(int which, nint handle);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool GetConsoleMode(nint handle, out uint mode);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    internal static partial uint GetConsoleProcessList(uint* list, uint count);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool FreeConsole();

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool AllocConsole();

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool SetConsoleCtrlHandler(delegate* unmanaged<uint, int> handler, [MarshalAs(UnmanagedType.Bool)] bool add);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool GenerateConsoleCtrlEvent(uint ctrlEvent, uint processGroupId);

    [LibraryImport("kernel32.dll", EntryPoint = "GetModuleHandleW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    internal static partial nint GetModuleHandle(string name);

    [LibraryImport("kernel32.dll", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GetProcAddress(nint module, string name);

    [LibraryImport("kernel32.dll", EntryPoint = "CreateProcessW", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateProcess(
        char* applicationName,
        char* commandLine,
        nint processAttributes,
        nint threadAttributes,
        [MarshalAs(UnmanagedType.Bool)] bool inheritHandles,
        uint creationFlags,
        char* environment,
        char* currentDirectory,
        StartupInfo* startupInfo,
        ProcessInformation* processInformation);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    internal static partial uint WaitForSingleObject(SafeProcessHandle handle, uint milliseconds);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool GetExitCodeProcess(SafeProcessHandle handle, out uint exitCode);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool TerminateProcess(SafeProcessHandle handle, uint exitCode);

    /// <summary>Whether the process is in <paramref name="job"/>; with job 0, in any job.</summary>
    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool IsProcessInJob(SafeProcessHandle process, nint job, [MarshalAs(UnmanagedType.Bool)] out bool result);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool CloseHandle(nint handle);

    internal const uint PROCESS_TERMINATE = 0x0001;
    internal const uint PROCESS_SUSPEND_RESUME = 0x0800;
    internal const uint PROCESS_QUERY_INFORMATION = 0x0400;
    internal const uint PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
    internal const uint SYNCHRONIZE = 0x00100000;

    [LibraryImport("kernel32.dll", SetLastError = true)]
    internal static partial nint OpenProcess(uint access, [MarshalAs(UnmanagedType.Bool)] bool inherit, int pid);

    /// <summary>Opens a pid for waiting, reading the exit code, terminating and suspending; null when it cannot be opened.</summary>
    internal static SafeProcessHandle? TryOpen(int pid)
    {
        nint h = OpenProcess(PROCESS_TERMINATE | PROCESS_SUSPEND_RESUME | PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, false, pid);
        return h == 0 ? null : new SafeProcessHandle(h, ownsHandle: true);
    }

    [LibraryImport("ntdll.dll")]
    internal static partial int NtSuspendProcess(SafeProcessHandle process);

    [LibraryImport("ntdll.dll")]
    internal static partial int NtResumeProcess(SafeProcessHandle process);

    /// <summary>Wine's ntdll exports wine_get_version; Windows' does not.</summary>
    internal static string? WineVersion()
    {
        nint ntdll = GetModuleHandle("ntdll.dll");
        if (ntdll == 0)
        {
            return null;
        }

        nint proc = GetProcAddress(ntdll, "wine_get_version");
        return proc == 0 ? null : Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)proc)());
    }

    /// <summary>The pids attached to our console.</summary>
    internal static uint[] ConsoleProcesses()
    {
        uint* list = stackalloc uint[256];
        uint n = GetConsoleProcessList(list, 256);
        return new ReadOnlySpan<uint>(list, (int)Math.Min(n, 256)).ToArray();
    }

    /// <summary>True when this process is attached to a console.</summary>
    internal static bool HasConsole()
    {
        uint* list = stackalloc uint[8];
        return GetConsoleProcessList(list, 8) != 0;
    }

    /// <summary>
    /// CreateProcessW with flags that ProcessStartInfo cannot set (CREATE_NEW_CONSOLE). No handles
    /// are inherited: a child with a console of its own uses that console's handles.
    /// </summary>
    internal static (SafeProcessHandle Handle, int Pid) Start(string commandLine, uint flags, IDictionary<string, string>? extraEnvironment = null)
    {
        char[] cmd = (commandLine + "\0").ToCharArray();
        string? env = null;
        if (extraEnvironment is not null)
        {
            var vars = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            {
                vars[(string)e.Key] = (string?)e.Value ?? "";
            }

            foreach (KeyValuePair<string, string> kv in extraEnvironment)
            {
                vars[kv.Key] = kv.Value;
            }

            env = string.Concat(vars.Select(kv => kv.Key + "=" + kv.Value + "\0")) + "\0";
            flags |= CREATE_UNICODE_ENVIRONMENT;
        }

        StartupInfo si = default;
        si.Cb = sizeof(StartupInfo);
        ProcessInformation pi;
        fixed (char* pCmd = cmd)
        fixed (char* pEnv = env)
        {
            if (!CreateProcess(null, pCmd, 0, 0, false, flags, pEnv, null, &si, &pi))
            {
                int error = Marshal.GetLastPInvokeError();
                throw new InvalidOperationException($"CreateProcessW({commandLine}, flags 0x{flags:x}) failed: WinError {error} {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }

        _ = CloseHandle(pi.Thread);
        return (new SafeProcessHandle(pi.Process, ownsHandle: true), pi.ProcessId);
    }
}
