using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

namespace OsKill.TestChild;

/// <summary>
/// What the child does to its own descriptor table so that the library runs out of descriptors:
/// lower the soft RLIMIT_NOFILE, take every number below it (<see cref="LeaveFree"/>), and give them
/// back. The test host never does this to itself.
/// </summary>
internal static partial class Descriptors
{
    private const int RLIMIT_NOFILE = 7;

    /// <summary>The highest descriptor number open now.</summary>
    internal static int HighestFd() =>
        Directory.GetFiles("/proc/self/fd").Max(p => int.Parse(Path.GetFileName(p), CultureInfo.InvariantCulture));

    /// <summary>How many descriptors are open now.</summary>
    internal static int Count() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>Every descriptor open now, with what it refers to (the target of its /proc/self/fd link).</summary>
    internal static Dictionary<int, string> Snapshot()
    {
        var open = new Dictionary<int, string>();
        foreach (string path in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                open[int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture)] = new FileInfo(path).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                // Closed since the listing (or the listing's own descriptor).
            }
        }

        return open;
    }

    /// <summary>
    /// Loads, while descriptors are still free, every assembly that the library and this child
    /// reference (the runtime holds two descriptors for each), so that what runs out of
    /// descriptors later is the library's own call and not the loading of an assembly.
    /// </summary>
    internal static void LoadEverythingReferenced()
    {
        foreach (Assembly assembly in new[] { typeof(ProcessHandle).Assembly, typeof(Descriptors).Assembly })
        {
            foreach (AssemblyName name in assembly.GetReferencedAssemblies())
            {
                Assembly.Load(name);
            }
        }
    }

    /// <summary>
    /// Lowers the soft RLIMIT_NOFILE to a little above the highest descriptor, takes every number
    /// below it but <paramref name="free"/> (dup of stdin), and gives all back (and the limit) when
    /// disposed.
    /// </summary>
    internal static Shortage LeaveFree(int free)
    {
        nuint saved = SetSoftFileLimit((nuint)(HighestFd() + 8));
        var fillers = new List<int>();
        int fd;
        while ((fd = Dup(0)) >= 0)
        {
            fillers.Add(fd);
        }

        int fillErrno = Marshal.GetLastPInvokeError();
        for (int i = 0; i < free && fillers.Count > 0; i++)
        {
            _ = Close(fillers[^1]);
            fillers.RemoveAt(fillers.Count - 1);
        }

        return new Shortage(fillers, saved, fillErrno);
    }

    /// <summary>Sets the soft RLIMIT_NOFILE; returns the one before.</summary>
    internal static unsafe nuint SetSoftFileLimit(nuint soft)
    {
        nuint* limits = stackalloc nuint[2];
        if (GetRLimit(RLIMIT_NOFILE, limits) != 0)
        {
            throw new InvalidOperationException($"getrlimit failed: {Marshal.GetLastPInvokeError()}");
        }

        nuint before = limits[0];
        limits[0] = soft;
        if (SetRLimit(RLIMIT_NOFILE, limits) != 0)
        {
            throw new InvalidOperationException($"setrlimit failed: {Marshal.GetLastPInvokeError()}");
        }

        return before;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static unsafe partial int GetRLimit(int resource, nuint* limits);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static unsafe partial int SetRLimit(int resource, nuint* limits);

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>The descriptors taken by <see cref="LeaveFree"/>; disposing gives them back and restores the limit.</summary>
    internal sealed class Shortage(List<int> fillers, nuint savedLimit, int fillErrno) : IDisposable
    {
        private bool _released;

        /// <summary>The errno of the dup that found the table full: EMFILE (24).</summary>
        internal int FillErrno { get; } = fillErrno;

        public void Dispose()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            foreach (int filler in fillers)
            {
                _ = Close(filler);
            }

            SetSoftFileLimit(savedLimit);
        }
    }
}
