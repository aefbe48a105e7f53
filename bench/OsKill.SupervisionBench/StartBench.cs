using System.Diagnostics;
using System.Runtime.Versioning;

namespace OsKill.Bench;

/// <summary>
/// Issue #15, item 3 (b): start to exit of /bin/true, from Process.Start to ProcessContainer.Start
/// one part at a time: the shell that enters the cgroup, coreutils' env --default-signal, the
/// write to cgroup.procs, and last the whole ProcessContainer.Start (temporary FIFO, the shell's
/// "in" on it, the parent's poll for it). The rungs take turns, so that drift hits each alike.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class StartBench(ProcessContainer container, BenchCgroup cgroup)
{
    public const string Baseline = "Process.Start(/bin/true)";
    private const string True = "/bin/true";
    private const string Enter = "echo $$ >| \"$1\" || exit 126; shift; exec \"$@\"";

    /// <summary>What ContainerLaunch runs before the program (DefaultSignals.Command, with no variable given).</summary>
    private static readonly string[] Env = ["/usr/bin/env", "--default-signal", "-u", "PWD", "-u", "OLDPWD", "-u", "SHLVL", "-u", "_", "--"];

    public (string Name, string Adds, Func<Process> Start)[] Rungs() =>
    [
        (Baseline, "the baseline: fork, exec of /bin/true", () => Start(True)),
        ("sh -c 'exec \"$@\"' sh /bin/true", "an exec of /bin/sh (dash here) before the program", () => Start("/bin/sh", ["-c", "exec \"$@\"", "sh", True])),
        ("sh -c 'exec \"$@\"' sh env --default-signal … /bin/true", "an exec of /usr/bin/env --default-signal", () => Start("/bin/sh", ["-c", "exec \"$@\"", "sh", .. Env, True])),
        ("sh -c 'echo $$ >| cgroup.procs; …' sh env --default-signal … /bin/true", "the shell's write of its pid to cgroup.procs (the move into the cgroup)", () => Start("/bin/sh", ["-c", Enter, "sh", cgroup.Procs, .. Env, True])),
        ("ProcessContainer.Start(/bin/true)", "the rest of ProcessContainer.Start: temporary directory and FIFO, the shell's \"in\" on it, the parent's poll(2) for it, the pidfd", () => container.Start(new ProcessStartInfo(True) { UseShellExecute = false })),
    ];

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
