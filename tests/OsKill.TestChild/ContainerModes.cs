using System.Diagnostics;
using System.Globalization;

namespace OsKill.TestChild;

/// <summary>
/// The test child's ProcessContainer modes: the child is the container's owner, so that a test can
/// kill the owner, or run it with signal dispositions or a /bin/sh that the test host must not have.
/// </summary>
internal static class ContainerModes
{
    /// <summary>
    /// contain-owner: make a container and start in it a tree whose members leave it by every
    /// means a walk cannot follow (setsid; a double fork that reparents to init), print
    /// "cgroup PATH" and "members PID...", then "ready PID", and wait until stdin closes: without
    /// disposing the container, as an owner that dies would.
    /// </summary>
    internal static int Owner(Action<string> say, Action ready)
    {
        var container = new ProcessContainer();
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (string a in new[] { "-c", "setsid sleep 600 & (sleep 600 &); exec sleep 600" })
        {
            psi.ArgumentList.Add(a);
        }

        using Process root = container.Start(psi);
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<int> members;
        while ((members = container.GetProcessIds()).Count < 3 || !members.All(IsSleep))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                Console.Error.WriteLine($"the tree did not settle: {string.Join(' ', members)}");
                return 2;
            }

            Thread.Sleep(5);
        }

        say("cgroup " + container.CgroupPath);
        say("members " + string.Join(' ', members));
        ready();
        while (Console.In.ReadLine() is not null)
        {
        }

        GC.KeepAlive(container);
        return 0;
    }

    /// <summary>
    /// contain-cgroup: start cat /proc/self/cgroup in a container with an environment that would
    /// subvert a shell that trusts it (a function that replaces echo, xtrace), and print
    /// "container PATH" and "program CGROUP-LINE", after "ready PID", then exit.
    /// </summary>
    internal static int Cgroup(Action<string> say, Action ready)
    {
        ready();
        using var container = new ProcessContainer();
        var psi = new ProcessStartInfo("cat") { UseShellExecute = false, RedirectStandardOutput = true };
        psi.ArgumentList.Add("/proc/self/cgroup");
        psi.Environment["BASH_FUNC_echo%%"] = "() { :; }";
        psi.Environment["BASH_FUNC_kill%%"] = "() { :; }";
        psi.Environment["SHELLOPTS"] = "xtrace:noclobber";
        psi.Environment["BASHOPTS"] = "extdebug";
        psi.Environment["PS4"] = "$(echo PS4 ran)";
        using Process cat = container.Start(psi);
        string output = cat.StandardOutput.ReadToEnd();
        cat.WaitForExit();
        say("container " + container.CgroupPath);
        say("program " + output.Split('\n').Single(l => l.StartsWith("0::", StringComparison.Ordinal)));
        return cat.ExitCode;
    }

    /// <summary>
    /// contain-signals: print the SigIgn and SigBlk lines of /proc/self/status as seen by grep
    /// started in a container ("contained ...") and by Process.Start ("plain ..."), after "ready PID".
    /// </summary>
    internal static int Signals(Action<string> say, Action ready)
    {
        ready();
        using var container = new ProcessContainer();
        foreach ((string label, Func<ProcessStartInfo, Process> start) in new (string, Func<ProcessStartInfo, Process>)[]
        {
            ("contained", container.Start),
            ("plain", psi => Process.Start(psi)!),
        })
        {
            var psi = new ProcessStartInfo("grep") { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (string a in new[] { "-E", "^Sig(Ign|Blk):", "/proc/self/status" })
            {
                psi.ArgumentList.Add(a);
            }

            using Process grep = start(psi);
            foreach (string line in grep.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                say(label + " " + line.Replace('\t', ' '));
            }

            grep.WaitForExit();
        }

        return 0;
    }

    private static bool IsSleep(int pid)
    {
        try
        {
            return File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/comm").Trim() == "sleep";
        }
        catch (IOException)
        {
            return false;
        }
    }
}
