using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace OsKill.Bench;

/// <summary>
/// Issue #15, item 3 (b): start to exit of /bin/true, from Process.Start to ProcessContainer.Start
/// one part at a time: the shell that enters the cgroup, coreutils' env --default-signal, the
/// write to cgroup.procs, the FIFO handshake, and last the whole ProcessContainer.Start. The rungs
/// take turns, so that drift hits each alike.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class StartBench(ProcessContainer container, BenchCgroup cgroup, string fifoDirectory)
{
    private readonly string _fifoDirectory = fifoDirectory;
    private int _fifos;

    public const string Baseline = "Process.Start(/bin/true)";
    private const string True = "/bin/true";
    private const string Enter = "echo $$ >| \"$1\" || exit 126; shift; exec \"$@\"";

    /// <summary>ContainerLaunch.EnterScript, the script measured: $1 cgroup.procs, $2 the FIFO.</summary>
    private const string EnterAndSay = "echo $$ >| \"$1\" || exit 126; echo in 1<>\"$2\" || exit 126; shift 2; exec \"$@\"";

    /// <summary>What ContainerLaunch runs before the program (DefaultSignals.Command, with no variable given).</summary>
    private static readonly string[] Env = ["/usr/bin/env", "--default-signal", "-u", "PWD", "-u", "OLDPWD", "-u", "SHLVL", "-u", "_", "--"];

    public (string Name, string Adds, Func<Process> Start)[] Rungs() =>
    [
        (Baseline, "the baseline: fork, exec of /bin/true", () => Start(True)),
        ("sh -c 'exec \"$@\"' sh /bin/true", "an exec of /bin/sh (dash here) before the program", () => Start("/bin/sh", ["-c", "exec \"$@\"", "sh", True])),
        ("sh -c 'exec \"$@\"' sh env --default-signal … /bin/true", "an exec of /usr/bin/env --default-signal", () => Start("/bin/sh", ["-c", "exec \"$@\"", "sh", .. Env, True])),
        ("sh -c 'echo $$ >| cgroup.procs; …' sh env --default-signal … /bin/true", "the shell's write of its pid to cgroup.procs (the move into the cgroup)", () => Start("/bin/sh", ["-c", Enter, "sh", cgroup.Procs, .. Env, True])),
        ("sh -c 'echo $$ >| cgroup.procs; echo in 1<>FIFO; …' sh env --default-signal … /bin/true", "the FIFO handshake, as ContainerLaunch does it (mkfifo, the shell's \"in\" on it, the parent's poll(2) until it reads it, unlink), in a directory made once", StartWithHandshake),
        ("ProcessContainer.Start(/bin/true)", "the rest of ProcessContainer.Start: a temporary directory for each start, the program's path looked up, the pidfd that tells an exit from a wait", () => container.Start(new ProcessStartInfo(True) { UseShellExecute = false })),
    ];

    /// <summary>The rung of the FIFO handshake: ContainerLaunch's script and its wait, without the rest of the library's call.</summary>
    private unsafe Process StartWithHandshake()
    {
        string fifo = $"{_fifoDirectory}/entered-{++_fifos}";
        if (Native.Mkfifo(fifo, Convert.ToUInt32("600", 8)) != 0)
        {
            throw new IOException($"mkfifo {fifo}: errno {Marshal.GetLastPInvokeError()}");
        }

        int fd = Native.Open(fifo, Native.O_RDONLY | Native.O_NONBLOCK | Native.O_CLOEXEC);
        try
        {
            if (fd < 0)
            {
                throw new IOException($"open {fifo}: errno {Marshal.GetLastPInvokeError()}");
            }

            Process process = Start("/bin/sh", ["-c", EnterAndSay, "sh", cgroup.Procs, fifo, .. Env, True]);
            byte* buffer = stackalloc byte[16];
            Native.PollFd pfd = new() { Fd = fd, Events = Native.POLLIN };
            long deadline = Environment.TickCount64 + 30_000;
            while (Native.Read(fd, buffer, 16) <= 0)
            {
                if (Environment.TickCount64 > deadline)
                {
                    throw new TimeoutException($"the shell (pid {process.Id}) said nothing on {fifo} in 30 s");
                }

                pfd.REvents = 0;
                _ = Native.Poll(&pfd, 1, 100);
            }

            return process;
        }
        finally
        {
            if (fd >= 0)
            {
                _ = Native.Close(fd);
            }

            File.Delete(fifo);
        }
    }

    public List<StartCase> Run(int runs, int warmup)
    {
        (string Name, string Adds, Func<Process> Start)[] rungs = Rungs();
        List<double>[] samples = [.. rungs.Select(_ => new List<double>())];
        for (int i = -warmup; i < runs; i++)
        {
            for (int r = 0; r < rungs.Length; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                using (Process p = rungs[r].Start())
                {
                    p.WaitForExit();
                    if (p.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"{rungs[r].Name} exited with {p.ExitCode}");
                    }
                }

                double us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                if (i >= 0)
                {
                    samples[r].Add(us);
                }
            }
        }

        return [.. rungs.Select((rung, r) => new StartCase(rung.Name, rung.Adds, r == 0, samples[r], Stats.Percentile(samples[r], 50), Stats.Percentile(samples[r], 10), Stats.Percentile(samples[r], 90)))];
    }

    private static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }
}
