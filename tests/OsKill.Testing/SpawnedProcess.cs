using System.Runtime.InteropServices;

namespace OsKill.Testing;

/// <summary>
/// A child that the test host starts itself with posix_spawn, outside .NET's Process class.
/// .NET's SIGCHLD handling reaps only the children its Process class started (unless SIGCHLD was
/// ignored when the runtime started), so this one stays a zombie after it exits until
/// <see cref="Reap"/>: the one way for a test to be the parent of an unreaped child, which is what
/// waitid(P_PIDFD, WNOWAIT) needs.
/// </summary>
/// <remarks>
/// The child gets an empty signal mask and every signal at its default action (whatever the test
/// host inherited: a run from a background job or under nohup ignores SIGINT, SIGQUIT or SIGHUP),
/// stdin, stdout and stderr of the test host, and no other descriptor (closefrom(3)), so it cannot
/// hold another child's pipe open.
/// </remarks>
public sealed partial class SpawnedProcess : IDisposable
{
    private const int POSIX_SPAWN_SETSIGDEF = 0x04;
    private const int POSIX_SPAWN_SETSIGMASK = 0x08;

    private int? _status;

    private SpawnedProcess(int pid) => Pid = pid;

    public int Pid { get; }

    /// <summary>Starts <paramref name="argv"/>[0] (searched on PATH) with these arguments.</summary>
    public static unsafe SpawnedProcess Start(params string[] argv)
    {
        // glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on x86_64;
        // sigset_t is 128. Generous buffers keep us independent of the exact sizes.
        byte* actions = stackalloc byte[512];
        byte* attr = stackalloc byte[1024];
        byte* mask = stackalloc byte[256];
        byte* all = stackalloc byte[256];
        var strings = new List<nint>();
        try
        {
            Check(FileActionsInit(actions), "posix_spawn_file_actions_init");
            Check(AddCloseFrom(actions, 3), "posix_spawn_file_actions_addclosefrom_np");
            Check(AttrInit(attr), "posix_spawnattr_init");
            Check(SigEmptySet(mask) == 0 ? 0 : -1, "sigemptyset");
            Check(AttrSetSigMask(attr, mask), "posix_spawnattr_setsigmask");
            Check(SigFillSet(all) == 0 ? 0 : -1, "sigfillset");
            Check(AttrSetSigDefault(attr, all), "posix_spawnattr_setsigdefault");
            Check(AttrSetFlags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), "posix_spawnattr_setflags");

            nint* args = stackalloc nint[argv.Length + 1];
            for (int i = 0; i < argv.Length; i++)
            {
                args[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
                strings.Add(args[i]);
            }

            args[argv.Length] = 0;
            nint* env = stackalloc nint[2];
            env[0] = Marshal.StringToCoTaskMemUTF8("PATH=/usr/local/bin:/usr/bin:/bin");
            strings.Add(env[0]);
            env[1] = 0;

            int pid;
            Check(PosixSpawnP(&pid, args[0], actions, attr, args, env), $"posix_spawnp {argv[0]}");
            return new SpawnedProcess(pid);
        }
        finally
        {
            _ = FileActionsDestroy(actions);
            _ = AttrDestroy(attr);
            foreach (nint s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
        }
    }

    /// <summary>Reaps the child (waitpid, blocking) and returns the raw wait status.</summary>
    public unsafe int Reap()
    {
        if (_status is int known)
        {
            return known;
        }

        int status;
        int rc;
        do
        {
            rc = WaitPid(Pid, &status, 0);
        }
        while (rc < 0 && Marshal.GetLastPInvokeError() == 4); // EINTR

        if (rc != Pid)
        {
            throw new InvalidOperationException($"waitpid({Pid}) returned {rc}, errno {Marshal.GetLastPInvokeError()}: someone else reaped our child");
        }

        _status = status;
        return status;
    }

    /// <summary>Kills and reaps the child if the test left it.</summary>
    public void Dispose()
    {
        if (_status is null)
        {
            _ = Kill(Pid, Signal.SIGKILL);
            try
            {
                Reap();
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    /// <summary>WIFEXITED: the exit code, or null.</summary>
    public static int? ExitCodeOf(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : null;

    /// <summary>WIFSIGNALED: the terminating signal, or null.</summary>
    public static int? SignalOf(int status) => (status & 0x7f) is not 0 and not 0x7f ? status & 0x7f : null;

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"{what} failed: {rc}");
        }
    }

    [LibraryImport("libc", EntryPoint = "sigfillset")]
    private static unsafe partial int SigFillSet(byte* set);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static unsafe partial int AttrSetSigDefault(byte* attr, byte* set);

    [LibraryImport("libc", EntryPoint = "posix_spawnp")]
    private static unsafe partial int PosixSpawnP(int* pid, nint file, byte* fileActions, byte* attr, nint* argv, nint* envp);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static unsafe partial int FileActionsInit(byte* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static unsafe partial int FileActionsDestroy(byte* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    private static unsafe partial int AddCloseFrom(byte* actions, int from);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static unsafe partial int AttrInit(byte* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static unsafe partial int AttrDestroy(byte* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static unsafe partial int AttrSetSigMask(byte* attr, byte* mask);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static unsafe partial int AttrSetFlags(byte* attr, short flags);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    private static unsafe partial int SigEmptySet(byte* set);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static unsafe partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int sig);
}
