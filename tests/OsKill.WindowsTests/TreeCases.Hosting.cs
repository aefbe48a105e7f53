using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using OsKill.Extensions.Hosting;

namespace OsKill.WindowsTests;

/// <summary>
/// OsKill.Extensions.Hosting on Windows (issue 16): a Generic Host with children registered by
/// AddChildProcess, each this executable in a child mode, in a job object of the host's and on a
/// console of its own. The host is built in the driver (its stop is then watched from inside), or
/// in a child process (mode "host") for the case that ends the host with TerminateProcess.
/// </summary>
internal static partial class TreeCases
{
    private static void RunHostingCases(Harness h)
    {
        Run(h, "hosting-job-object", HostingJobObject, Long);
        Run(h, "hosting-ctrl-c", HostingCtrlC, Long);
        Run(h, "hosting-console-ctrl-c", HostingConsoleCtrlC, Long);
        Run(h, "hosting-host-killed", HostingHostKilled, Long);
        Run(h, "hosting-output-not-logged", HostingOutputNotLogged, Long);
        Run(h, "hosting-restarts", HostingRestarts, Long);
        Run(h, "hosting-leftovers", HostingLeftovers, Long);
    }

    /// <summary>
    /// A host with one child: IChildProcesses says Running with the pid the child reports itself;
    /// the child is in a job object (the host's: the driver is in none) and not on the driver's
    /// console; what it writes to stdout and stderr is logged under its category; the host's stop
    /// ends it and says Stopped.
    /// </summary>
    private static void HostingJobObject()
    {
        string report = Child.NewReportFile("echo-hosted");
        var log = new HostLog();
        using IHost host = BuildHost(TimeSpan.FromSeconds(10), log, consoleLifetime: false, new HostedChild("sleeper", "echo", report));
        IChildProcesses children = host.Services.GetRequiredService<IChildProcesses>();
        Check.Equal(ChildProcessState.NotStarted, children.GetChild("sleeper").State, "the child's state before the host starts");
        bool driverInJob = InJob(Environment.ProcessId);

        host.StartAsync().GetAwaiter().GetResult();
        ChildProcessInfo info = children.GetChild("sleeper");
        int pid = info.ProcessId ?? throw new TestFailure($"IChildProcesses gives no pid for the running child: {info}; log [{log}]");
        using var members = new Members([pid]);
        try
        {
            Check.Equal(ChildProcessState.Running, info.State, $"the child's state once the host has started; log [{log}]");
            Check.True(ChildModes.WaitForLine(report, $"ready {pid}", TreeReady) is not null, $"the child with the pid IChildProcesses gives, {pid}, never reported ready: [{string.Join(" | ", ChildModes.ReadLines(report))}]; log [{log}]");
            Check.True(log.Has($"Child process sleeper started: pid {pid} "), $"the host logged the child's start with its pid {pid}: [{log}]");
            Check.True(InJob(pid), $"the child {pid} is in no job object");
            Check.True(!Native.ConsoleProcesses().Contains((uint)pid), $"the child {pid} is on the driver's console (ChildStartInfo's CreateNoWindow gives it one of its own)");
            string stdout = $"Information OsKill.Child.sleeper: out {pid}";
            string stderr = $"Warning OsKill.Child.sleeper: err {pid}";
            Check.True(SpinWait.SpinUntil(() => log.Has(stdout) && log.Has(stderr), Seen), $"the child's stdout and stderr lines are logged under OsKill.Child.sleeper, at Information and Warning: [{log}]");
            Info("hosting-job-object", $"child {pid} Running, in a job object{(driverInJob ? " (the driver is in a job too, so the job may not be the host's)" : " (the host's: the driver is in none)")}, on a console of its own, its output logged");
        }
        finally
        {
            host.StopAsync().GetAwaiter().GetResult();
        }

        ChildProcessInfo stopped = children.GetChild("sleeper");
        Check.Equal(ChildProcessState.Stopped, stopped.State, $"the child's state after the host's stop; log [{log}]");
        Check.Equal<int?>(null, stopped.ProcessId, "the pid IChildProcesses gives after the stop");
        Check.True(members.Alive().Count == 0, $"the child {pid} runs after the host's stop; log [{log}]");
    }

    /// <summary>
    /// A host with ShutdownTimeout 6 s and two children: "polite" (handles Ctrl+C, exits 130) and
    /// "stubborn" (ignores Ctrl+C, grace period 60 s), stopped in reverse order. The host's stop
    /// ends polite at step 0 with the Ctrl+C it got on its own console, and stubborn at the forced
    /// step (the job's end, −1) once the one budget (6 s − the kill reserve) is spent, not after its
    /// 60 s; the driver, the host, sees no Ctrl+C.
    /// </summary>
    private static void HostingCtrlC()
    {
        var shutdown = TimeSpan.FromSeconds(6);
        string stubbornReport = Child.NewReportFile("tree-hosted");
        string politeReport = Child.NewReportFile("ctrl-handler-hosted");
        var log = new HostLog();
        using IHost host = BuildHost(
            shutdown,
            log,
            consoleLifetime: false,
            new HostedChild("stubborn", "tree", stubbornReport, ["0", "0", "ignore"], TimeSpan.FromSeconds(60)),
            new HostedChild("polite", "ctrl-handler", politeReport));
        IChildProcesses children = host.Services.GetRequiredService<IChildProcesses>();
        TimeSpan reserve = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ChildProcessHostOptions>>().Value.KillReserve;

        host.StartAsync().GetAwaiter().GetResult();
        int stubborn = children.GetChild("stubborn").ProcessId ?? throw new TestFailure($"no pid for stubborn: {children.GetChild("stubborn")}; log [{log}]");
        int polite = children.GetChild("polite").ProcessId ?? throw new TestFailure($"no pid for polite: {children.GetChild("polite")}; log [{log}]");
        using var members = new Members([stubborn, polite]);
        TimeSpan took;
        int driverC = Program.DriverCtrlC;
        try
        {
            Check.True(ChildModes.WaitForLine(stubbornReport, $"ready {stubborn}", TreeReady) is not null, $"stubborn {stubborn} never became ready: [{string.Join(" | ", ChildModes.ReadLines(stubbornReport))}]");
            Check.True(ChildModes.WaitForLine(politeReport, $"ready {polite}", TreeReady) is not null, $"polite {polite} never became ready: [{string.Join(" | ", ChildModes.ReadLines(politeReport))}]");
        }
        finally
        {
            log.Mark("host.StopAsync");
            var clock = Stopwatch.StartNew();
            host.StopAsync().GetAwaiter().GetResult();
            took = clock.Elapsed;
        }

        Info("hosting-ctrl-c", $"host stop {took.TotalMilliseconds:0} ms (ShutdownTimeout {shutdown.TotalSeconds:0} s, KillReserve {reserve.TotalMilliseconds:0} ms); {string.Join(" | ", log.Lines.Where(l => l.Contains(" driver: ", StringComparison.Ordinal) || l.Contains(" stopped: ", StringComparison.Ordinal) || l.Contains("shutdown timeout", StringComparison.Ordinal)))}");

        string politeStop = log.Find("Child process polite stopped: ") ?? throw new TestFailure($"no stop line for polite: [{log}]; polite's report [{string.Join(" | ", ChildModes.ReadLines(politeReport))}]");
        Check.True(politeStop.Contains("ExitedAtStep after step 0 ", StringComparison.Ordinal), $"polite ended at step 0 (Ctrl+C): {politeStop}");
        Check.True(ChildModes.ReadLines(politeReport).Contains("got ctrl-c"), $"polite's handler saw Ctrl+C: [{string.Join(" | ", ChildModes.ReadLines(politeReport))}]");
        Check.Equal(new ChildProcessInfo("polite", null, ChildProcessState.Stopped, 0, ChildModes.GotCtrlC), children.GetChild("polite"), "what IChildProcesses says of polite after the stop");

        string stubbornStop = log.Find("Child process stubborn stopped: ") ?? throw new TestFailure($"no stop line for stubborn: [{log}]");
        Check.True(stubbornStop.Contains("ExitedAtStep after step 1 ", StringComparison.Ordinal), $"stubborn ended at step 1, the forced one: {stubbornStop}");
        string killed = stubbornStop[(stubbornStop.LastIndexOf("killed: [", StringComparison.Ordinal) + 9)..].TrimEnd(']');
        Check.True(killed.Split(", ").Contains(stubborn.ToString(CultureInfo.InvariantCulture)), $"the stop line names stubborn's pid {stubborn} among those killed (its console host may be there too): {stubbornStop}");
        Check.Equal(new ChildProcessInfo("stubborn", null, ChildProcessState.Stopped, 0, -1), children.GetChild("stubborn"), "what IChildProcesses says of stubborn after the stop (−1: the job's end)");

        Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(polite), "polite's exit code (130: its handler saw Ctrl+C)");
        Check.Equal<uint?>(0xFFFFFFFF, members.ExitCode(stubborn), "stubborn's exit code (−1: the job's end)");

        // Stubborn's polite step lasted until the budget's end (its 60 s grace period cut to it), then the job's end followed at once.
        Check.True(took >= shutdown - reserve - TimeSpan.FromMilliseconds(100), $"the stop took {took.TotalMilliseconds:0} ms: stubborn's polite step ended before the budget's end ({(shutdown - reserve).TotalMilliseconds:0} ms)");
        Check.True(took < shutdown + TimeSpan.FromSeconds(3), $"the stop took {took.TotalMilliseconds:0} ms, well past the host's ShutdownTimeout of {shutdown.TotalSeconds:0} s");
        Check.True(!log.Has("the host's shutdown timeout ran out"), $"a child was still being stopped when the shutdown timeout ran out: [{log}]");
        Check.Equal(driverC, Program.DriverCtrlC, "Ctrl+C events seen by the driver, the host (each child has a console of its own)");
    }

    /// <summary>
    /// A host process (mode "host ctrl-count console", on a console of its own, under ConsoleLifetime)
    /// gets a Ctrl+C on its console, as from its terminal: the host stops, its child (on a console of
    /// its own, which the terminal's Ctrl+C does not reach) gets exactly one Ctrl+C, the stop's, and
    /// ends at step 0; the host exits 0.
    /// </summary>
    private static void HostingConsoleCtrlC()
    {
        using var host = Child.StartHidden("host", "ctrl-count", "console");
        int child = HostedChildOf(host);
        using var members = new Members([child]);
        string childReport = host.ReportFile + ".child";

        ConsoleControl.Send(host.Pid, ConsoleEvent.CtrlC);

        uint status = host.WaitExitOrFail(TimeSpan.FromSeconds(15));
        Info("hosting-console-ctrl-c", $"host exit {status}; child [{string.Join(" | ", ChildModes.ReadLines(childReport))}]; host [{host.Report}]");
        Check.Equal(0u, status, $"the host's exit code after a Ctrl+C; report [{host.Report}]");
        Check.True(host.Report.Contains("host stopped", StringComparison.Ordinal), $"the host's Ctrl+C stopped it through ConsoleLifetime: [{host.Report}]");
        Check.True(ChildModes.ReadLines(childReport).Contains("count 1"), $"the child saw exactly one Ctrl+C, the stop's: [{string.Join(" | ", ChildModes.ReadLines(childReport))}]");
        Check.Equal<uint?>(ChildModes.GotCtrlC, members.ExitCode(child), "the child's exit code (130: one Ctrl+C)");
        Check.True(host.Report.Contains("Child process child stopped: ExitedAtStep after step 0 ", StringComparison.Ordinal), $"the host logged the child's end at step 0: [{host.Report}]");
    }

    /// <summary>
    /// A host process (mode "host sleep", a child of the driver) with one child, ended by TerminateProcess:
    /// its job object's last handle closes with it, and the job's kill-on-close ends the child.
    /// </summary>
    private static void HostingHostKilled()
    {
        using var host = Child.StartHidden("host", "sleep");
        int child = HostedChildOf(host);
        using var members = new Members([child]);
        Check.True(InJob(child), $"the host's child {child} is in no job object");

        Check.True(Native.TerminateProcess(host.Handle, 0xDEAD), "TerminateProcess of the host");
        Check.Equal(0xDEADu, host.WaitExitOrFail(Seen), "exit code of the host");
        var clock = Stopwatch.StartNew();
        Check.True(members.ExitCode(child) is not null, $"the child {child} still runs {Seen.TotalSeconds:0} s after its host was ended: the job did not die with the host; host's report [{host.Report}]");
        Info("hosting-host-killed", $"the child {child} exited within {clock.Elapsed.TotalMilliseconds:0} ms of its host, exit code 0x{members.ExitCode(child):x}");
    }

    /// <summary>
    /// LogOutput = false: a host process (mode "host echo quiet") whose stdout and stderr are pipes
    /// to the driver. What its child writes to stdout and stderr comes out of the host's, although
    /// the child, on a console of its own, does not write to the host's streams itself.
    /// </summary>
    private static void HostingOutputNotLogged()
    {
        string report = Child.NewReportFile("host");
        var psi = new ProcessStartInfo(Self) { UseShellExecute = false, CreateNoWindow = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])["host", report, "echo", "quiet"])
        {
            psi.ArgumentList.Add(a);
        }

        var stdout = new List<string>();
        var stderr = new List<string>();
        using Process host = Process.Start(psi) ?? throw new TestFailure("Process.Start returned null");
        host.OutputDataReceived += (_, e) => Add(stdout, e.Data);
        host.ErrorDataReceived += (_, e) => Add(stderr, e.Data);
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        try
        {
            string line = ChildModes.WaitForLine(report, $"ready {host.Id} child ", TreeReady)
                ?? throw new TestFailure($"the host {host.Id} never reported its child: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
            int child = int.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            bool both = SpinWait.SpinUntil(() => Has(stdout, $"out {child}") && Has(stderr, $"err {child}"), Seen);
            Info("hosting-output-not-logged", $"the host's stdout [{string.Join(" | ", Snapshot(stdout))}], stderr [{string.Join(" | ", Snapshot(stderr))}]");
            Check.True(both, $"the child {child}'s \"out {child}\" on the host's stdout and \"err {child}\" on its stderr; host's report [{string.Join(" | ", ChildModes.ReadLines(report))}]");
            Check.True(!ChildModes.ReadLines(report).Any(l => l.Contains("OsKill.Child.child", StringComparison.Ordinal)), $"the child's output was logged, with LogOutput = false: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
        }
        finally
        {
            host.Kill();
            host.WaitForExit(10_000);
        }

        static void Add(List<string> lines, string? line)
        {
            if (line is not null)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        }

        static string[] Snapshot(List<string> lines)
        {
            lock (lines)
            {
                return [.. lines];
            }
        }

        static bool Has(List<string> lines, string text) => Snapshot(lines).Contains(text);
    }

    /// <summary>
    /// A child that exits with code 3 at once, ExitPolicy.Restart with MaxRestarts 2: it is started
    /// 3 times in all, each exit logged, then the host is stopped (ApplicationStopping fires) with
    /// the child Exited, 2 restarts, last exit code 3; its containers left nothing running.
    /// </summary>
    private static void HostingRestarts()
    {
        string report = Child.NewReportFile("exit-hosted");
        var log = new HostLog();
        using IHost host = BuildHost(TimeSpan.FromSeconds(10), log, consoleLifetime: false, new HostedChild("quitter", "exit", report, ["3"], Configure: o =>
        {
            o.ExitPolicy = ExitPolicy.Restart;
            o.MaxRestarts = 2;
            o.RestartBackoff = TimeSpan.FromMilliseconds(100);
        }));
        IChildProcesses children = host.Services.GetRequiredService<IChildProcesses>();
        IHostApplicationLifetime lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        int exitCode = Environment.ExitCode;
        host.StartAsync().GetAwaiter().GetResult();
        try
        {
            bool stopped = lifetime.ApplicationStopping.WaitHandle.WaitOne(TimeSpan.FromSeconds(20));
            Info("hosting-restarts", $"{children.GetChild("quitter")}; host exit code {Environment.ExitCode}; log [{log}]");
            Check.True(stopped, $"the host was not stopped after the restarts: {children.GetChild("quitter")}; log [{log}]");
            Check.Equal(new ChildProcessInfo("quitter", null, ChildProcessState.Exited, 2, 3), children.GetChild("quitter"), "the child after its restarts");
            Check.Equal(3, Environment.ExitCode, "the host's exit code (the child's)");
            Check.Equal(3, ChildModes.ReadLines(report).Count(l => l.StartsWith("ready ", StringComparison.Ordinal)), $"runs of the child: [{string.Join(" | ", ChildModes.ReadLines(report))}]");
        }
        finally
        {
            Environment.ExitCode = exitCode;
            host.StopAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// A child that exits 0 at once, leaving a sleeping grandchild in its job (the Windows double
    /// fork), with ExitPolicy.Ignore: the supervisor stops what it left (the grandchild shares the
    /// child's console, which gets Ctrl+C) and logs it; the child says Exited with code 0, and the
    /// host runs on.
    /// </summary>
    private static void HostingLeftovers()
    {
        string report = Child.NewReportFile("orphan-middle-hosted");
        var log = new HostLog();
        using IHost host = BuildHost(TimeSpan.FromSeconds(10), log, consoleLifetime: false, new HostedChild("middle", "orphan-middle", report, Configure: o => o.ExitPolicy = ExitPolicy.Ignore));
        IChildProcesses children = host.Services.GetRequiredService<IChildProcesses>();
        IHostApplicationLifetime lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        host.StartAsync().GetAwaiter().GetResult();
        try
        {
            string line = ChildModes.WaitForLine(report, "grandchild ", TreeReady)
                ?? throw new TestFailure($"the child never reported its grandchild: [{string.Join(" | ", ChildModes.ReadLines(report))}]; log [{log}]");
            int grandchild = int.Parse(line["grandchild ".Length..], CultureInfo.InvariantCulture);

            // The supervisor may have stopped it already: then it is gone, which is what is checked.
            using var members = new Members([grandchild], mustOpen: false);
            string stopped = "Child process middle: what its main process left in its container was stopped: ";
            bool logged = SpinWait.SpinUntil(() => log.Has(stopped), Seen);
            Info("hosting-leftovers", $"grandchild {grandchild}{(members.Count == 0 ? " (gone before the driver opened it)" : "")}; {log.Find(stopped[..^2])}");
            Check.True(logged, $"the supervisor logged no stop of what the child left: [{log}]");
            Check.True(log.Find(stopped)!.Contains("ExitedAtStep after step 0", StringComparison.Ordinal), $"what the child left ended at step 0 (Ctrl+C): [{log}]");
            Check.True(members.Count == 0 || members.Alive().Count == 0, $"the grandchild {grandchild} runs after the supervisor's stop of what the child left: [{log}]");
            Check.Equal(new ChildProcessInfo("middle", null, ChildProcessState.Exited, 0, 0), children.GetChild("middle"), "the child after its exit");
            Check.True(!lifetime.ApplicationStopping.IsCancellationRequested, "the host was stopped by an exit under ExitPolicy.Ignore");
        }
        finally
        {
            host.StopAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>The pid of the child of a "host" child process, once it has reported it ready.</summary>
    private static int HostedChildOf(Child host)
    {
        string line = ChildModes.WaitForLine(host.ReportFile, $"ready {host.Pid} child ", TreeReady)
            ?? throw new TestFailure($"{host.Description} never reported its child: exit code {Child.Fmt(host.ExitCode)}, report [{host.Report}]");
        return int.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>One child of a test host: this executable in <paramref name="Mode"/>, reporting to <paramref name="Report"/>.</summary>
    internal sealed record HostedChild(string Name, string Mode, string Report, string[]? Extra = null, TimeSpan? GracePeriod = null, bool LogOutput = true, Action<ChildProcessOptions>? Configure = null);

    /// <summary>
    /// A Generic Host with <paramref name="children"/>, its log in <paramref name="log"/>. Without
    /// <paramref name="consoleLifetime"/>, a lifetime that handles no console event: in the driver,
    /// ConsoleLifetime's Ctrl+C handler would go before the driver's, which counts the Ctrl+C events
    /// that reach the driver.
    /// </summary>
    internal static IHost BuildHost(TimeSpan shutdownTimeout, HostLog log, bool consoleLifetime, params HostedChild[] children)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
        if (!consoleLifetime)
        {
            builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        }

        builder.Logging.AddProvider(log);
        foreach (HostedChild c in children)
        {
            builder.Services.AddChildProcess(c.Name, o =>
            {
                o.FileName = Environment.ProcessPath!;
                o.Arguments.Add(c.Mode);
                o.Arguments.Add(c.Report);
                foreach (string e in c.Extra ?? [])
                {
                    o.Arguments.Add(e);
                }

                o.GracePeriod = c.GracePeriod ?? o.GracePeriod;
                o.LogOutput = c.LogOutput;
                c.Configure?.Invoke(o);
            });
        }

        return builder.Build();
    }

    /// <summary>Whether the process is in a job object.</summary>
    private static bool InJob(int pid)
    {
        // PROCESS_QUERY_INFORMATION: Wine 8's IsProcessInJob refuses a handle with only the limited right (WinError 5).
        nint raw = Native.OpenProcess(Native.PROCESS_QUERY_INFORMATION, false, pid);
        using var h = new SafeProcessHandle(raw, ownsHandle: true);
        Check.True(raw != 0, $"process {pid} cannot be opened: WinError {Marshal.GetLastPInvokeError()}");
        Check.True(Native.IsProcessInJob(h, 0, out bool inJob), $"IsProcessInJob({pid}) failed: WinError {Marshal.GetLastPInvokeError()}");
        return inJob;
    }

    /// <summary>A host lifetime that waits for nothing and handles no console event.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
