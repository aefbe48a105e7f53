using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using OsKill.Linux.Cgroups;

namespace OsKill.Tests;

/// <summary>
/// The holes found in ProcessContainer when it was attacked: a Start that returned before the
/// process was inside, a wrapper that trusted the program's environment, an owner whose death left
/// the container running, a container that took its own caller, kills that no audit hook saw, and
/// children that inherited the caller's ignored signals.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class ContainerHardeningTests
{
    private static readonly AsyncLocal<object?> s_scope = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_returns_only_once_the_process_is_inside_so_an_immediate_kill_reaches_it_in_30_of_30()
    {
        RequireCgroups();
        for (int i = 0; i < 30; i++)
        {
            using var container = new ProcessContainer();
            using Process p = container.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false });

            // Read at once: before the fix the shell often had not written cgroup.procs yet.
            Assert.Equal(container.CgroupPath, CgroupOf(p.Id));
            Assert.Contains(p.Id, container.GetProcessIds());

            TreeKillResult result = await container.KillAsync(Ct);

            Assert.Equal([p.Id], result.KilledPids);
            Assert.True(p.WaitForExit(10_000), $"run {i}: pid {p.Id} survived KillAsync");
            Assert.Equal(128 + Signal.SIGKILL, p.ExitCode);
        }
    }

    [Fact]
    public async Task A_bash_function_named_echo_in_the_environment_cannot_take_the_program_out_of_the_container()
    {
        RequireCgroups();
        if (!File.Exists("/bin/bash") || !File.Exists("/usr/bin/unshare"))
        {
            Assert.Skip("needs /bin/bash and unshare(1) to run the case with bash as /bin/sh");
        }

        // In a mount namespace of its own, the child sees bash wherever /bin/sh leads, as on
        // distributions where /bin/sh is bash; the test host's /bin/sh is untouched.
        string[] wrapper = ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", "mount --bind /bin/bash \"$(readlink -f /bin/sh)\" && exec \"$@\"", "sh"];
        using Child child = await Child.StartWrappedAsync(wrapper, ["contain-cgroup"]);
        string container = (await child.WaitForLineAsync(l => l.StartsWith("container ", StringComparison.Ordinal)))["container ".Length..];
        string program = (await child.WaitForLineAsync(l => l.StartsWith("program ", StringComparison.Ordinal)))["program ".Length..];

        Assert.Equal(container, Mount() + program[3..]);
        Assert.Equal(0, await child.WaitForExitAsync());
    }

    [Fact]
    public async Task A_program_whose_name_starts_with_a_dash_is_found_and_run_as_Process_Start_would()
    {
        RequireCgroups();
        string directory = Path.GetDirectoryName(Environment.ProcessPath)!;
        string name = "-oskill-dash-" + Guid.NewGuid().ToString("N")[..8];
        string path = Path.Combine(directory, name);
        await File.WriteAllTextAsync(path, "#!/bin/sh\necho \"ran $0 $1\"\n", Ct);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            using var container = new ProcessContainer();
            var psi = new ProcessStartInfo(name) { UseShellExecute = false, RedirectStandardOutput = true, ArgumentList = { "-x" } };

            using Process p = container.Start(psi);
            string output = await p.StandardOutput.ReadToEndAsync(Ct);
            await p.WaitForExitAsync(Ct);

            Assert.Equal($"ran {path} -x\n", output);
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_program_that_does_not_exist_throws_as_Process_Start_does_and_nothing_is_started()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        var psi = new ProcessStartInfo("oskill-no-such-program") { UseShellExecute = false, ArgumentList = { "x" } };

        Win32Exception e = Assert.Throws<Win32Exception>(() => container.Start(psi));

        Assert.Equal(2, e.NativeErrorCode);
        Assert.Contains("oskill-no-such-program", e.Message, StringComparison.Ordinal);
        Assert.Empty(container.GetProcessIds());
        Assert.Equal("oskill-no-such-program", psi.FileName);
        Assert.Equal(["x"], psi.ArgumentList);
    }

    /// <summary>
    /// A rooted FileName that is missing, or there but not executable, throws what Process.Start
    /// throws (its NativeErrorCode is the oracle: ENOENT, EACCES), and nothing is started; before,
    /// the launcher shell was started and could only exit 127 or 126.
    /// </summary>
    [Theory]
    [InlineData("/nonexistent/oskill-no-such-program")]
    [InlineData("/etc/passwd")]   // 0644 on every Debian
    public void A_rooted_program_that_cannot_run_throws_as_Process_Start_does_and_nothing_is_started(string file)
    {
        RequireCgroups();
        Win32Exception plain = Assert.Throws<Win32Exception>(() => Process.Start(new ProcessStartInfo(file) { UseShellExecute = false })?.Dispose());
        using var container = new ProcessContainer();

        Win32Exception e = Assert.Throws<Win32Exception>(() => container.Start(new ProcessStartInfo(file) { UseShellExecute = false }));

        Assert.Equal(plain.NativeErrorCode, e.NativeErrorCode);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Empty(container.GetProcessIds());
    }

    [Fact]
    public async Task The_program_gets_exactly_the_environment_that_Process_Start_would_give_it()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        var psi = new ProcessStartInfo("/usr/bin/env") { UseShellExecute = false, RedirectStandardOutput = true };
        psi.Environment["OSKILL_TEST"] = "a value with spaces = and equals";
        psi.Environment.Remove("PWD");
        psi.Environment.Remove("SHLVL");

        using Process plain = Process.Start(psi)!;
        string expected = await plain.StandardOutput.ReadToEndAsync(Ct);
        using Process contained = container.Start(psi);
        string actual = await contained.StandardOutput.ReadToEndAsync(Ct);
        await contained.WaitForExitAsync(Ct);

        Assert.Equal(Sorted(expected), Sorted(actual));
        Assert.Contains("OSKILL_TEST=a value with spaces = and equals", actual, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_program_started_in_a_container_has_default_signal_actions_and_an_empty_mask_whatever_its_owner_inherited()
    {
        RequireCgroups();

        // The owner inherits SIGINT, SIGQUIT and SIGHUP ignored (a background job under nohup) and
        // SIGUSR1 blocked; .NET adds SIGPIPE ignored to what its children inherit.
        string[] wrapper = ["/usr/bin/env", "--ignore-signal=INT", "--ignore-signal=QUIT", "--ignore-signal=HUP", "--block-signal=USR1"];
        using Child child = await Child.StartWrappedAsync(wrapper, ["contain-signals"]);
        var lines = new Dictionary<string, string>();
        foreach (string key in new[] { "contained SigBlk: ", "contained SigIgn: ", "plain SigBlk: ", "plain SigIgn: " })
        {
            lines[key] = (await child.WaitForLineAsync(l => l.StartsWith(key, StringComparison.Ordinal)))[key.Length..];
        }

        Assert.Equal(0, await child.WaitForExitAsync());
        Assert.Equal("0000000000000000", lines["contained SigIgn: "]);
        Assert.Equal("0000000000000000", lines["contained SigBlk: "]);

        // The control: a plain Process.Start from the same owner passes all of it on.
        ulong ignored = ulong.Parse(lines["plain SigIgn: "], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        ulong blocked = ulong.Parse(lines["plain SigBlk: "], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        foreach (int sig in new[] { Signal.SIGINT, Signal.SIGQUIT, Signal.SIGHUP, Signal.SIGPIPE })
        {
            Assert.True((ignored & (1UL << (sig - 1))) != 0, $"signal {sig} is not ignored in the plain child: {ignored:x16}");
        }

        Assert.True((blocked & (1UL << (Signal.SIGUSR1 - 1))) != 0, $"SIGUSR1 is not blocked in the plain child: {blocked:x16}");
    }

    [Fact]
    public async Task When_the_owner_is_killed_with_SIGKILL_every_member_dies_setsid_and_double_forked_ones_included_and_the_cgroup_goes()
    {
        RequireCgroups();
        using Child owner = await Child.StartAsync("contain-owner");
        string cgroup = owner.Seen.Single(l => l.StartsWith("cgroup ", StringComparison.Ordinal))["cgroup ".Length..];
        int[] members = owner.Seen.Single(l => l.StartsWith("members ", StringComparison.Ordinal))["members ".Length..]
            .Split(' ').Select(int.Parse).ToArray();
        Assert.Equal(3, members.Length);
        var handles = members.Select(ProcessHandle.Open).ToList();
        try
        {
            // One member left the owner's tree by a double fork: its parent is not the root any more.
            Assert.Contains(members, m => ProcState.ParentPid(m) != owner.Pid && !members.Contains(ProcState.ParentPid(m)));

            Os.Kill(owner.Pid, Signal.SIGKILL);
            await owner.WaitForExitAsync();

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Task.WhenAll(handles.Select(h => h.WaitForExitAsync(deadline.Token)));
            while (Directory.Exists(cgroup))
            {
                await Task.Delay(20, deadline.Token);
            }
        }
        finally
        {
            foreach (ProcessHandle h in handles)
            {
                if (h.IsAlive)
                {
                    h.Signal(Signal.SIGKILL);
                }

                h.Dispose();
            }
        }
    }

    [Fact]
    public async Task Disposing_the_container_releases_the_watchdog_which_then_kills_nothing_later()
    {
        RequireCgroups();
        var container = new ProcessContainer();
        string path = container.CgroupPath!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        // setsid -f forks the watchdog and exits: the shell's command line shows once it has exec'd.
        while (Watchdogs(path).Length == 0)
        {
            await Task.Delay(5, deadline.Token);
        }

        container.Dispose();

        Assert.False(Directory.Exists(path));
        while (Watchdogs(path).Length > 0)
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    [Fact]
    public void Add_refuses_the_calling_process_and_its_threads_before_anything_is_moved()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        int tid = 0;
        using var ready = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            tid = int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").ResolveLinkTarget(false)!.FullName), CultureInfo.InvariantCulture);
            ready.Set();
            done.Wait();
        })
        { IsBackground = true };
        thread.Start();
        ready.Wait(Ct);
        try
        {
            Assert.NotEqual(Environment.ProcessId, tid);

            ArgumentException self = Assert.Throws<ArgumentException>(() => container.Add(Environment.ProcessId));
            ArgumentException other = Assert.Throws<ArgumentException>(() => container.Add(tid));

            Assert.Contains($"pid {Environment.ProcessId}", self.Message, StringComparison.Ordinal);
            Assert.Contains($"pid {tid}", other.Message, StringComparison.Ordinal);
            Assert.Empty(container.GetProcessIds());
            Assert.NotEqual(container.CgroupPath, CgroupOf(Environment.ProcessId));
        }
        finally
        {
            done.Set();
        }
    }

    [Fact]
    public async Task KillAsync_raises_os_kill_for_every_member_and_a_veto_of_one_kills_none()
    {
        RequireCgroups();
        using var container = new ProcessContainer();
        using Process a = container.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false });
        using Process b = container.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false });
        object scope = new object();
        var seen = new List<(int Pid, int Sig)>();
        var veto = new InvalidOperationException("not b");
        Assert.True(Audit.AddHook((name, args) =>
        {
            if (ReferenceEquals(s_scope.Value, scope) && name == "os.kill" && args is [int pid, int sig])
            {
                lock (seen)
                {
                    seen.Add((pid, sig));
                }

                if (pid == b.Id && s_vetoing.Value)
                {
                    throw veto;
                }
            }
        }));

        s_scope.Value = scope;
        s_vetoing.Value = true;
        try
        {
            Assert.Same(veto, await Assert.ThrowsAsync<InvalidOperationException>(() => container.KillAsync(Ct)));
            Assert.False(a.HasExited);
            Assert.False(b.HasExited);

            s_vetoing.Value = false;
            seen.Clear();
            await container.KillAsync(Ct);
        }
        finally
        {
            s_scope.Value = null;
            s_vetoing.Value = false;
        }

        Assert.Equal([(a.Id, Signal.SIGKILL), (b.Id, Signal.SIGKILL)], seen.Order());
        Assert.True(a.WaitForExit(10_000));
        Assert.True(b.WaitForExit(10_000));
    }

    private static readonly AsyncLocal<bool> s_vetoing = new();

    private static void RequireCgroups()
    {
        if (!ProcessContainer.IsSupported)
        {
            Assert.Skip("no cgroup v2 hierarchy is mounted here (/proc/self/mountinfo has no cgroup2)");
        }
    }

    private static string Mount() => CgroupContainer.FindMount(out _)!.TrimEnd('/');

    private static string CgroupOf(int pid) =>
        Mount() + File.ReadAllLines($"/proc/{pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];

    private static string Sorted(string lines) => string.Join('\n', lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

    /// <summary>The pids of the watchdogs of <paramref name="cgroup"/>: processes whose command line names it.</summary>
    internal static string Watchdogs(string cgroup)
    {
        var found = new List<string>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                string cmdline = File.ReadAllText(dir + "/cmdline");
                if (cmdline.Contains("oskill-watchdog\0" + cgroup + "\0", StringComparison.Ordinal))
                {
                    found.Add(Path.GetFileName(dir));
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return string.Join(' ', found);
    }
}
