using System.Collections;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace OsKill.Cli.Run;

/// <summary>CMD, started and held before its first instruction: <see cref="Release"/> lets it exec.</summary>
internal sealed class HeldCommand(int pid, int goFd) : IDisposable
{
    private int _goFd = goFd;

    /// <summary>The process id, which is also CMD's process group id.</summary>
    public int Pid { get; } = pid;

    /// <summary>Lets CMD run: the holding shell reads "go" and execs it.</summary>
    public unsafe void Release()
    {
        byte* go = stackalloc byte[] { (byte)'g', (byte)'o', (byte)'\n' };
        _ = Native.Write(_goFd, go, 3);
        Dispose();
    }

    /// <summary>Closes the hold without releasing: the shell exits with 125 and never runs CMD.</summary>
    public void Dispose()
    {
        if (_goFd >= 0)
        {
            _ = Native.Close(_goFd);
            _goFd = -1;
        }
    }
}

/// <summary>
/// Starts CMD with posix_spawn(3): in a process group of its own, every signal at its default action
/// and none blocked, whatever oskill inherited. It starts as /bin/sh, which waits on a pipe for
/// oskill's word before it execs CMD in the same process (so its pid is CMD's): meanwhile oskill
/// moves it into the container (nothing CMD forks can be outside) and hands it the terminal.
/// </summary>
[SupportedOSPlatform("linux")]
internal static unsafe class Spawner
{
    // $1 is a program that sets something up and execs the rest (setpriv --pdeathsig), or "".
    private const string Hold = "read -r go <&3 && [ \"$go\" = go ] || exit 125; exec 3<&-; exec \"$@\"";

    /// <summary>Starts <paramref name="command"/> (its program already resolved to <paramref name="program"/>), held.</summary>
    /// <param name="program">CMD's program, an absolute path.</param>
    /// <param name="command">CMD and its arguments.</param>
    /// <param name="prefix">Words that go before the program, such as setpriv --pdeathsig KILL --.</param>
    internal static HeldCommand Start(string program, IReadOnlyList<string> command, IReadOnlyList<string> prefix)
    {
        int* fds = stackalloc int[2];
        if (Native.Pipe2(fds, Native.OCloexec) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"pipe2: {Native.Message(errno)}");
        }

        List<string> argv = ["/bin/sh", .. ShellOptions, "-c", Hold, "oskill-run", .. prefix, program, .. command.Skip(1)];
        byte* attr = stackalloc byte[512];
        byte* actions = stackalloc byte[512];
        byte* defaults = stackalloc byte[Native.SigSetBytes];
        byte* mask = stackalloc byte[Native.SigSetBytes];
        _ = Native.SpawnAttrInit(attr);
        _ = Native.FileActionsInit(actions);
        nint argvBlock = 0;
        nint envBlock = 0;
        try
        {
            _ = Native.SigFillSet(defaults);
            _ = Native.SigEmptySet(mask);
            _ = Native.SpawnAttrSetFlags(attr, Native.PosixSpawnSetPgroup | Native.PosixSpawnSetSigDef | Native.PosixSpawnSetSigMask);
            _ = Native.SpawnAttrSetPgroup(attr, 0);
            _ = Native.SpawnAttrSetSigDefault(attr, defaults);
            _ = Native.SpawnAttrSetSigMask(attr, mask);
            _ = Native.FileActionsAddDup2(actions, fds[0], 3);
            argvBlock = Strings(argv);
            envBlock = Strings(Environment());
            int error = Native.PosixSpawn(out int pid, "/bin/sh", actions, attr, (byte**)argvBlock, (byte**)envBlock);
            if (error != 0)
            {
                _ = Native.Close(fds[1]);
                throw new IOException($"cannot start /bin/sh to run {command[0]}: {Native.Message(error)}");
            }

            return new HeldCommand(pid, fds[1]);
        }
        finally
        {
            _ = Native.Close(fds[0]);
            _ = Native.SpawnAttrDestroy(attr);
            _ = Native.FileActionsDestroy(actions);
            Free(argvBlock);
            Free(envBlock);
        }
    }

    // bash (and dash) with -p take nothing from the environment that CMD is given: no BASH_ENV, no
    // functions (a BASH_FUNC_read%% would replace the read that holds CMD), no SHELLOPTS. Other
    // shells are left without an option they might not know.
    private static string[] ShellOptions
    {
        get
        {
            string shell = Path.GetFileName(new FileInfo("/bin/sh").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "/bin/sh");
            return shell is "bash" or "dash" ? ["-p"] : [];
        }
    }

    private static List<string> Environment()
    {
        var list = new List<string>();
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            list.Add($"{e.Key}={e.Value}");
        }

        return list;
    }

    // A NULL-terminated array of NUL-terminated UTF-8 strings, in one allocation per string.
    private static nint Strings(List<string> strings)
    {
        byte** array = (byte**)NativeMemory.AllocZeroed((nuint)(strings.Count + 1), (nuint)sizeof(nint));
        for (int i = 0; i < strings.Count; i++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(strings[i]);
            byte* s = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(s, bytes.Length));
            s[bytes.Length] = 0;
            array[i] = s;
        }

        return (nint)array;
    }

    private static void Free(nint block)
    {
        if (block == 0)
        {
            return;
        }

        byte** array = (byte**)block;
        for (int i = 0; array[i] != null; i++)
        {
            NativeMemory.Free(array[i]);
        }

        NativeMemory.Free(array);
    }
}
