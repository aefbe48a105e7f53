using System.Runtime.InteropServices;

namespace OsKill.Cli.Run;

/// <summary>The libc calls <c>oskill run</c> makes on Linux: spawning, waiting, process groups, the terminal.</summary>
internal static unsafe partial class Native
{
    internal const int PosixSpawnSetPgroup = 0x02;
    internal const int PosixSpawnSetSigDef = 0x04;
    internal const int PosixSpawnSetSigMask = 0x08;
    internal const int PrSetChildSubreaper = 36;
    internal const int SigSetBytes = 128;
    internal const int SigActionBytes = 256;
    internal const int WNoHang = 1;
    internal const int PPid = 1;
    internal const int WExited = 4;
    internal const int WNoWait = 0x01000000;
    internal const int OCloexec = 0x80000;
    internal const int ORdWr = 2;
    internal const int XOk = 1;
    internal const int SigBlock = 0;
    internal const int SigUnblock = 1;
    internal const int SigSetMask = 2;
    internal const int EIntr = 4;
    internal const int EChild = 10;

    [LibraryImport("libc", EntryPoint = "posix_spawn", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int PosixSpawn(out int pid, string path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    internal static partial int SpawnAttrInit(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    internal static partial int SpawnAttrDestroy(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    internal static partial int SpawnAttrSetFlags(void* attr, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setpgroup")]
    internal static partial int SpawnAttrSetPgroup(void* attr, int pgroup);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial int SpawnAttrSetSigDefault(void* attr, void* set);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    internal static partial int SpawnAttrSetSigMask(void* attr, void* set);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int FileActionsInit(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int FileActionsDestroy(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial int FileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    internal static partial int SigEmptySet(void* set);

    [LibraryImport("libc", EntryPoint = "sigfillset")]
    internal static partial int SigFillSet(void* set);

    [LibraryImport("libc", EntryPoint = "sigaddset")]
    internal static partial int SigAddSet(void* set, int sig);

    [LibraryImport("libc", EntryPoint = "pthread_sigmask")]
    internal static partial int PthreadSigMask(int how, void* set, void* old);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport("libc", EntryPoint = "waitid", SetLastError = true)]
    internal static partial int WaitId(int idType, int id, void* info, int options);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "getpgrp")]
    internal static partial int GetPgrp();

    [LibraryImport("libc", EntryPoint = "tcgetpgrp", SetLastError = true)]
    internal static partial int TcGetPgrp(int fd);

    [LibraryImport("libc", EntryPoint = "tcsetpgrp", SetLastError = true)]
    internal static partial int TcSetPgrp(int fd, int pgrp);

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    internal static partial int SigAction(int sig, void* action, void* old);

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Execv(string path, string?[] argv);

    /// <summary>The message of errno <paramref name="errno"/>, such as "No such process".</summary>
    internal static string Message(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
