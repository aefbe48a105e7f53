using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OsKill.Testing;

/// <summary>
/// Process trees for the tree-kill tests: a static bash tree, a forking tree from a small C
/// program, and a tree with a member that escapes by setsid and a double fork. Every process of a tree carries the environment variable
/// OSKILL_TREE=&lt;marker&gt;, which its descendants inherit; <see cref="Scan"/> finds them all,
/// wherever they were reparented, and <see cref="CleanupAsync"/> kills what a test left behind.
/// </summary>
public static class Trees
{
    public const string MarkerVariable = "OSKILL_TREE";

    /// <summary>
    /// forker CAP GROW_MS CHURN_MS. Every member forks a child every GROW_MS; a child that gets a
    /// ticket below CAP (a counter in shared memory) stays a member and does the same, so the tree
    /// grows to CAP members, each the child of another. Then every member forks a short-lived child
    /// every CHURN_MS (0: never, a static tree), so the tree keeps forking at a bounded size.
    /// SIGCHLD is ignored, so the kernel reaps exited children. The root prints "grown N" once CAP
    /// members exist.
    /// </summary>
    private const string ForkerSource = """
        #define _GNU_SOURCE
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/mman.h>
        #include <time.h>
        #include <unistd.h>

        static void nap(long ms) { struct timespec t = { ms / 1000, (ms % 1000) * 1000000L }; nanosleep(&t, 0); }

        int main(int argc, char **argv) {
            if (argc != 4) { fprintf(stderr, "usage: forker CAP GROW_MS CHURN_MS\n"); return 2; }
            long cap = atol(argv[1]), grow = atol(argv[2]), churn = atol(argv[3]);
            long *created = mmap(0, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            if (created == MAP_FAILED) { perror("mmap"); return 1; }
            *created = 1;
            signal(SIGCHLD, SIG_IGN);
            int root = 1;
            for (;;) {
                long n = __atomic_load_n(created, __ATOMIC_SEQ_CST);
                if (root && n >= cap) { printf("grown %ld\n", n); fflush(stdout); root = 0; }
                if (n < cap) {
                    nap(grow);
                    pid_t p = fork();
                    if (p == 0) {
                        root = 0;
                        if (__atomic_fetch_add(created, 1, __ATOMIC_SEQ_CST) >= cap) _exit(0);
                    }
                } else if (churn > 0) {
                    nap(churn);
                    if (fork() == 0) _exit(0);
                } else if (!root) {
                    pause();
                }
            }
        }
        """;

    private static readonly Lazy<string> s_forker = new(BuildForker);

    /// <summary>The compiled forker (gcc, once per test run).</summary>
    public static string Forker => s_forker.Value;

    /// <summary>A fresh marker for one tree.</summary>
    public static string NewMarker() => "t" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>
    /// Start info for a static bash tree: 3 subshells, each with 3 subshells, each with 2 sleeps,
    /// 31 processes in all (bash, 3 + 9 subshells, 18 sleeps). Prints "ready" once started.
    /// </summary>
    public static ProcessStartInfo StaticBashTree(string marker) => Bash(
        marker,
        "for i in 1 2 3; do ( for j in 1 2 3; do ( sleep 1000 & sleep 1000 & wait ) & done; wait ) & done; echo ready; wait");

    /// <summary>Processes in <see cref="StaticBashTree"/>.</summary>
    public const int StaticBashTreeSize = 31;

    /// <summary>
    /// Start info for a tree with a member that escapes: bash with two sleeps, and a subshell that
    /// starts `setsid sleep` in the background and exits at once, so that sleep is reparented to
    /// init in a session of its own (4 processes once the subshell is gone). Prints "ready".
    /// </summary>
    public static ProcessStartInfo EscapingBashTree(string marker) => Bash(
        marker,
        "( setsid sleep 1000 & ); sleep 1000 & sleep 1000 & echo ready; wait");

    /// <summary>Start info for the forker.</summary>
    public static ProcessStartInfo ForkingTree(string marker, int cap, int growMs, int churnMs)
    {
        ProcessStartInfo psi = WithDefaultSignals(Forker);
        psi.ArgumentList.Add(cap.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(growMs.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(churnMs.ToString(CultureInfo.InvariantCulture));
        psi.Environment[MarkerVariable] = marker;
        return psi;
    }

    /// <summary>Waits for a line on the process's standard output that starts with <paramref name="prefix"/>.</summary>
    public static async Task<string> WaitForLineAsync(Process process, string prefix, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            string? line = await process.StandardOutput.ReadLineAsync(cts.Token)
                ?? throw new InvalidOperationException($"pid {process.Id} closed its output before printing \"{prefix}\"");
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    /// <summary>A process seen in /proc: pid, start time (clock ticks since boot), state letter, parent.</summary>
    public readonly record struct Seen(int Pid, ulong StartTime, char State, int ParentPid)
    {
        public bool IsAlive => State is not ('Z' or 'X' or 'x');
    }

    /// <summary>Every process whose environment holds OSKILL_TREE=<paramref name="marker"/>, zombies included.</summary>
    public static List<Seen> Scan(string marker)
    {
        byte[] needle = Encoding.ASCII.GetBytes($"{MarkerVariable}={marker}\0");
        var found = new List<Seen>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            if (ReadEnviron(dir, pid) is not byte[] environ)
            {
                continue;
            }

            bool marked = environ.AsSpan().IndexOf(needle) is int at && at >= 0 && (at == 0 || environ[at - 1] == 0);
            if (!marked)
            {
                continue;
            }

            if (ReadStat(pid) is Seen seen)
            {
                found.Add(seen);
            }
        }

        return found;
    }

    /// <summary>
    /// A process's environment, or null once it is gone. A process inside an exec shows an empty
    /// one for a moment (its new memory has no environment yet, or the old is already released),
    /// and a scan then would not see it at all (CI saw counts one short). So an empty read of a
    /// live process that is not a kernel thread is read again, a few times, a millisecond apart.
    /// </summary>
    private static byte[]? ReadEnviron(string dir, int pid)
    {
        for (int attempt = 0; ; attempt++)
        {
            byte[] environ;
            try
            {
                environ = File.ReadAllBytes(dir + "/environ");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            bool mayBeInsideExec = environ.Length == 0 && pid != 2 && ReadStat(pid) is Seen s && s.IsAlive && s.ParentPid != 2;
            if (!mayBeInsideExec || attempt == 10)
            {
                return environ;
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>The live (not zombie) processes of the tree.</summary>
    public static List<Seen> Alive(string marker) => Scan(marker).Where(s => s.IsAlive).ToList();

    /// <summary>Polls until at least <paramref name="count"/> live marked processes exist; returns them.</summary>
    public static async Task<List<Seen>> WaitForAliveAsync(string marker, int count, TimeSpan timeout, Func<List<Seen>, bool>? also = null)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            List<Seen> alive = Alive(marker);
            if (alive.Count >= count && (also is null || also(alive)))
            {
                return alive;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"tree {marker}: {alive.Count} live processes, expected {count}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Polls until the tree has settled: exactly <paramref name="count"/> live marked processes,
    /// every one but <paramref name="rootPid"/> already running <paramref name="command"/>, and
    /// <paramref name="also"/> holds. A count alone can pass while a short-lived subshell still
    /// lives and a later member is not yet forked; and a member caught inside its exec has no
    /// environment for a moment, so a later scan would miss it. A second scan, made after the
    /// command names were read, must agree, since it sees the environments only of finished execs.
    /// </summary>
    public static Task<List<Seen>> WaitForSettledAsync(string marker, int count, int rootPid, string command, TimeSpan timeout, Func<List<Seen>, bool>? also = null) =>
        WaitForAliveAsync(
            marker,
            count,
            timeout,
            alive => alive.Count == count
                && (also is null || also(alive))
                && alive.Where(s => s.Pid != rootPid).All(s => Command(s.Pid) == command)
                && Alive(marker).Select(s => s.Pid).Order().SequenceEqual(alive.Select(s => s.Pid).Order()));

    /// <summary>The process's command name (/proc/pid/comm), or null once it is gone.</summary>
    public static string? Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the process seen before is still alive: same pid, same start time, not a zombie.
    /// A pid that now belongs to another process does not count.
    /// </summary>
    public static bool StillAlive(Seen before) =>
        ReadStat(before.Pid) is Seen now && now.StartTime == before.StartTime && now.IsAlive;

    /// <summary>
    /// Kills every live process of the tree, wherever it is now, through pidfds opened after the
    /// marker was seen and checked (pid and start time) after the open. A forking survivor makes
    /// new processes faster than one-by-one kills end them, so it freezes first: SIGSTOP round after
    /// round until every marked process is stopped, then SIGKILL to all. Returns how many it killed.
    /// </summary>
    public static async Task<int> CleanupAsync(string marker)
    {
        int killed = 0;
        int stopRounds = 0;
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            List<Seen> alive = Alive(marker);
            if (alive.Count == 0)
            {
                return killed;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"tree {marker}: {alive.Count} processes survive the cleanup");
            }

            var running = alive.Where(p => p.State is not ('T' or 't')).ToList();
            bool freeze = running.Count > 0 && stopRounds++ < 200;
            foreach (Seen p in freeze ? running : alive)
            {
                if (SendChecked(p, freeze ? Signal.SIGSTOP : Signal.SIGKILL) && !freeze)
                {
                    killed++;
                }
            }

            if (!freeze)
            {
                stopRounds = 0;
            }

            await Task.Delay(freeze ? 2 : 10);
        }
    }

    /// <summary>Sends through a pidfd, if the pid still names the process seen (same start time). True when sent.</summary>
    private static bool SendChecked(Seen p, int sig)
    {
        SafePidfdHandle pidfd;
        try
        {
            pidfd = Os.PidfdOpen(p.Pid);
        }
        catch (ProcessLookupException)
        {
            return false;
        }

        using (pidfd)
        {
            if (ReadStat(p.Pid) is not Seen now || now.StartTime != p.StartTime)
            {
                return false;
            }

            try
            {
                Os.Kill(pidfd, sig);
                return true;
            }
            catch (ProcessLookupException)
            {
                return false;
            }
        }
    }

    private static Seen? ReadStat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        int close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            return null;
        }

        // Fields after ") ": 3 state, 4 ppid, ... 22 starttime.
        string[] f = stat[(close + 2)..].Split(' ');
        return new Seen(
            pid,
            ulong.Parse(f[22 - 3], CultureInfo.InvariantCulture),
            f[0][0],
            int.Parse(f[4 - 3], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Start info for <paramref name="program"/> through <c>env --default-signal</c>, standard output
    /// and input redirected: .NET's Process passes on the signal mask the test host inherited, and a
    /// tree member with SIGTERM blocked would not stop.
    /// </summary>
    private static ProcessStartInfo WithDefaultSignals(string program)
    {
        var psi = new ProcessStartInfo(Child.DefaultSignalsEnv)
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--default-signal");
        psi.ArgumentList.Add(program);
        return psi;
    }

    /// <summary>Start info for `bash -c <paramref name="script"/>` with the marker in its environment, standard output and input redirected.</summary>
    public static ProcessStartInfo Bash(string marker, string script)
    {
        ProcessStartInfo psi = WithDefaultSignals("/bin/bash");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.Environment[MarkerVariable] = marker;
        return psi;
    }

    /// <summary>Start info for a marked tree whose root is Python (isolated mode, -I) running <paramref name="script"/>.</summary>
    public static ProcessStartInfo Python(string marker, string script)
    {
        var psi = new ProcessStartInfo(OsKill.Testing.Python.Executable) { UseShellExecute = false };
        psi.ArgumentList.Add("-I");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.Environment[MarkerVariable] = marker;
        return psi;
    }

    /// <summary>Compiles the forker once per source text, into a directory named by its hash, and renames it into place so that concurrent builds do not collide.</summary>
    private static string BuildForker()
    {
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(ForkerSource)))[..16];
        string dir = Path.Combine(Path.GetTempPath(), "oskill-forker-" + hash.ToLowerInvariant());
        string binary = Path.Combine(dir, "forker");
        if (File.Exists(binary))
        {
            return binary;
        }

        Directory.CreateDirectory(dir);
        string unique = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        string source = Path.Combine(dir, $"forker-{unique}.c");
        string output = Path.Combine(dir, $"forker-{unique}");
        File.WriteAllText(source, ForkerSource);
        var psi = new ProcessStartInfo("gcc")
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-O2", "-o", output, source })
        {
            psi.ArgumentList.Add(a);
        }

        using Process gcc = Process.Start(psi)!;
        string errors = gcc.StandardError.ReadToEnd();
        if (!gcc.WaitForExit(60_000) || gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc could not build the forker (the forking-tree tests need gcc): {errors}");
        }

        File.Move(output, binary, overwrite: true);
        File.Delete(source);
        return binary;
    }
}
