using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace OsKill.Bench;

/// <summary>
/// A cgroup v2 directory the harness makes itself, beside the ones ProcessContainer makes: the raw
/// baseline's fixture (no library in its kill), and the observer of the tree-kill fixture (whose
/// kill does not know it is there). Also what every case uses to see the last member go: a read of
/// cgroup.events, woken by poll(2) (POLLPRI) when the file changes.
/// </summary>
internal sealed class BenchCgroup : IDisposable
{
    private static int s_next;

    private BenchCgroup(string path) => Path = path;

    public string Path { get; }

    public string Procs => Path + "/cgroup.procs";

    /// <summary>Makes a cgroup beside <paramref name="sibling"/> (a ProcessContainer's).</summary>
    public static BenchCgroup CreateBeside(string sibling)
    {
        string parent = System.IO.Path.GetDirectoryName(sibling) ?? throw new InvalidOperationException($"no parent of {sibling}");
        string path = $"{parent}/oskill-bench-{Environment.ProcessId}-{Interlocked.Increment(ref s_next)}";
        Directory.CreateDirectory(path);
        return new BenchCgroup(path);
    }

    /// <summary>The pids in cgroup.procs of <paramref name="cgroup"/>.</summary>
    public static int Count(string cgroup) => File.ReadAllText(cgroup + "/cgroup.procs").Count(c => c == '\n');

    /// <summary>
    /// The raw baseline: "1" written to cgroup.kill with open/write/close, then the wait for
    /// "populated 0" (<see cref="WaitEmpty"/>). No library code runs. <paramref name="niceMinus20"/>:
    /// the write runs with the thread at nice −20 (and back at 0 after), as the library's kill does
    /// (PriorityBoost), so that the members it wakes do not preempt it.
    /// </summary>
    public static unsafe void RawKill(string cgroup, bool niceMinus20 = false)
    {
        if (!niceMinus20)
        {
            WriteKill(cgroup);
            return;
        }

        int tid = Native.GetTid();
        if (Native.SetPriority(0, tid, -20) != 0)
        {
            throw new IOException($"setpriority(-20): errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            WriteKill(cgroup);
        }
        finally
        {
            _ = Native.SetPriority(0, tid, 0);
        }
    }

    private static unsafe void WriteKill(string cgroup)
    {
        int fd = Native.Open(cgroup + "/cgroup.kill", Native.O_WRONLY | Native.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"open {cgroup}/cgroup.kill: errno {Marshal.GetLastPInvokeError()}");
        }

        byte one = (byte)'1';
        nint n = Native.Write(fd, &one, 1);
        int errno = Marshal.GetLastPInvokeError();
        _ = Native.Close(fd);
        if (n != 1)
        {
            throw new IOException($"write {cgroup}/cgroup.kill: errno {errno}");
        }
    }

    /// <summary>Opens cgroup.events of <paramref name="cgroup"/> for <see cref="WaitEmpty"/> (before the timed part).</summary>
    public static int OpenEvents(string cgroup)
    {
        int fd = Native.Open(cgroup + "/cgroup.events", Native.O_RDONLY | Native.O_CLOEXEC);
        return fd >= 0 ? fd : throw new IOException($"open {cgroup}/cgroup.events: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Returns when cgroup.events says "populated 0": read, and between reads poll(2) for POLLPRI (the kernel's notice that the file changed).</summary>
    public static unsafe bool WaitEmpty(int eventsFd, TimeSpan limit)
    {
        long deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        byte* buffer = stackalloc byte[256];
        Native.PollFd pfd = new() { Fd = eventsFd, Events = Native.POLLPRI };
        while (true)
        {
            nint n = Native.Pread(eventsFd, buffer, 255, 0);
            if (n < 0)
            {
                throw new IOException($"read cgroup.events: errno {Marshal.GetLastPInvokeError()}");
            }

            if (Encoding.ASCII.GetString(buffer, (int)n).Contains("populated 0", StringComparison.Ordinal))
            {
                return true;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }

            pfd.REvents = 0;
            _ = Native.Poll(&pfd, 1, (int)Math.Min(left, 100));
        }
    }

    /// <summary>Kills what is left (cgroup.kill), waits until empty, removes the directory.</summary>
    public void Dispose()
    {
        if (!Directory.Exists(Path))
        {
            return;
        }

        if (Count(Path) > 0)
        {
            WriteKill(Path);
            int fd = OpenEvents(Path);
            try
            {
                _ = WaitEmpty(fd, TimeSpan.FromSeconds(30));
            }
            finally
            {
                _ = Native.Close(fd);
            }
        }

        Directory.Delete(Path);
    }

    public override string ToString() => Path;

    /// <summary>A number as the processes' arguments want it.</summary>
    public static string Str(int i) => i.ToString(CultureInfo.InvariantCulture);
}
