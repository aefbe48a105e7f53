using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace OsKill.WindowsTests;

/// <summary>
/// What the executable does when the driver starts it as a child: <c>MODE REPORTFILE [options]</c>.
/// Each mode writes "ready" to its report file once it is set up, then what it saw.
/// </summary>
internal static unsafe partial class ChildModes
{
    /// <summary>Exit code of a ctrl-handler child whose handler saw Ctrl+C.</summary>
    internal const int GotCtrlC = 130;

    /// <summary>Exit code of a ctrl-handler child whose handler saw Ctrl+Break.</summary>
    internal const int GotCtrlBreak = 131;

    /// <summary>Exit code of a child that waited its full time and saw nothing.</summary>
    internal const int SawNothing = 3;

    private static readonly ManualResetEventSlim s_gotEvent = new();
    private static int s_event = -1;

    internal static int Run(string[] args)
    {
        string mode = args[0];
        string report = args.Length > 1 ? args[1] : throw new ArgumentException("a child needs a report file");
        return mode switch
        {
            // Runs until it is killed; exits 0 after a minute.
            "sleep" => Sleep(report),

            // Exits at once with the code given.
            "exit" => Exit(report, int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),

            // Re-enables Ctrl+C (SetConsoleCtrlHandler(NULL, FALSE)), unless "keep-ignore" is given,
            // installs a handler, and reports the first event it gets: exit 130 for Ctrl+C, 131 for
            // Ctrl+Break, 3 after 60 s of nothing.
            "ctrl-handler" => CtrlHandler(report, keepIgnore: args.Length > 2 && args[2] == "keep-ignore"),

            // A process tree: DEPTH levels below this one, WIDTH children each, every member this
            // same mode. "ctrl": every member handles Ctrl+C and exits 130 when it sees it;
            // "ignore": every member ignores Ctrl+C (SetConsoleCtrlHandler(NULL, TRUE), inherited).
            // "beat=PREFIX": every member writes "beat N" every 50 ms to PREFIX-PID.txt (a suspended
            // member stops beating). "read": every member then waits in a read of its console's input
            // (Console.In.ReadLine), exits 21 if that returns. Writes "ready PID tree PID DESCENDANTS..."
            // once its whole subtree is ready.
            "tree" => Tree(report, int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), args.Skip(4).ToArray()),

            // Starts a middle child that starts a sleeping grandchild and exits; waits until the
            // middle child's pid is gone, then writes "ready PID middle M grandchild G": G has escaped
            // the tree. "hold": keeps a handle on the middle child instead, so that its pid still opens
            // (an exited process, in no snapshot) and G still names it as parent.
            "orphan-maker" => OrphanMaker(report, hold: args.Length > 2 && args[2] == "hold"),
            "orphan-middle" => OrphanMiddle(report),

            // Every member appends "member PID" to the shared report and starts a new member every
            // 100 ms while fewer than MAX have been started in all. The first ("root") also writes "ready PID".
            "fork-loop" => ForkLoop(report, int.Parse(args[2], CultureInfo.InvariantCulture), root: args.Length > 3 && args[3] == "root"),

            // Writes "count N" every 20 ms, for a minute.
            "counter" => Counter(report),

            // Asks for the tree kill of PID (the driver, its parent): writes "refused: ..." and exits 0
            // when it is refused, as it must be.
            "kill-tree-of" => KillTreeOf(report, int.Parse(args[2], CultureInfo.InvariantCulture)),

            // Tries to put itself into a process container of its own, by pid and by handle: writes
            // "refused pid: ..." and "refused handle: ..." when each is refused, then disposes the
            // container and writes "done" (a container that took it in kills it there).
            "container-add-self" => ContainerAddSelf(report),

            // "contain": creates a ProcessContainer and starts in it a sleeping child and a middle
            // child that starts a sleeping grandchild and exits (the grandchild is orphaned, as after
            // a double fork); "plain": the same with Process.Start, in no container. Writes
            // "ready PID sleeper S middle M grandchild G members PIDS" and sleeps, for the driver to
            // end it with TerminateProcess.
            "container-owner" => ContainerOwner(report, contain: args.Length > 2 && args[2] == "contain"),

            // A visible top-level window with a message loop: exits 0 on WM_CLOSE (see ChildModes.Windows.cs).
            "window" => Window(report),

            // Counts Ctrl+C events, exits 130 after exactly one; "child": with a second one on its console (see ChildModes.Windows.cs).
            "ctrl-count" => CtrlCount(report, child: args.Length > 2 && args[2] == "child"),

            // A Generic Host with one child in CHILDMODE (AddChildProcess); writes "ready PID child CPID";
            // "console": under ConsoleLifetime, until a Ctrl+C stops it; "quiet": the child's output
            // not logged (LogOutput = false) (see ChildModes.Hosting.cs).
            "host" => HostOf(report, args[2], console: args.Skip(3).Contains("console"), logOutput: !args.Skip(3).Contains("quiet")),

            // Writes "out PID" to stdout and "err PID" to stderr, then as "sleep" (see ChildModes.Hosting.cs).
            "echo" => Echo(report),
            _ => throw new ArgumentException($"unknown child mode '{mode}'"),
        };
    }

    private static int Sleep(string report)
    {
        Write(report, $"ready {Environment.ProcessId}");
        Thread.Sleep(TimeSpan.FromSeconds(60));
        return 0;
    }

    private static int Exit(string report, int code)
    {
        Write(report, $"ready {Environment.ProcessId}, exiting {code}");
        return code;
    }

    private static int CtrlHandler(string report, bool keepIgnore)
    {
        if (!keepIgnore && !Native.SetConsoleCtrlHandler(null, false))
        {
            Write(report, $"SetConsoleCtrlHandler(NULL, FALSE) failed: {Marshal.GetLastPInvokeError()}");
            return 10;
        }

        if (!Native.SetConsoleCtrlHandler(&Handler, true))
        {
            Write(report, $"SetConsoleCtrlHandler(handler, TRUE) failed: {Marshal.GetLastPInvokeError()}");
            return 11;
        }

        Write(report, $"ready {Environment.ProcessId}{(keepIgnore ? " (Ctrl+C left ignored)" : "")}");
        if (!s_gotEvent.Wait(TimeSpan.FromSeconds(60)))
        {
            Write(report, "saw nothing");
            return SawNothing;
        }

        switch (s_event)
        {
            case 0:
                Write(report, "got ctrl-c");
                return GotCtrlC;
            case 1:
                Write(report, "got ctrl-break");
                return GotCtrlBreak;
            default:
                Write(report, $"got event {s_event}");
                return 12;
        }
    }

    private static int Tree(string report, int depth, int width, string[] flags)
    {
        bool ctrl = flags.Contains("ctrl");
        if (ctrl && (!Native.SetConsoleCtrlHandler(null, false) || !Native.SetConsoleCtrlHandler(&Handler, true)))
        {
            Write(report, $"cannot install the Ctrl+C handler: {Marshal.GetLastPInvokeError()}");
            return 10;
        }

        if (flags.Contains("ignore") && !Native.SetConsoleCtrlHandler(null, true))
        {
            Write(report, $"SetConsoleCtrlHandler(NULL, TRUE) failed: {Marshal.GetLastPInvokeError()}");
            return 10;
        }

        string? beat = flags.FirstOrDefault(f => f.StartsWith("beat=", StringComparison.Ordinal));
        if (beat is not null)
        {
            StartBeating(beat[5..]);
        }

        // The Process objects stay referenced: their handles keep the children's pids from reuse.
        var children = new List<(Process Process, string Report)>();
        for (int k = 0; depth > 0 && k < width; k++)
        {
            string childReport = $"{report}.{k}";
            string[] childArgs = ["tree", childReport, (depth - 1).ToString(CultureInfo.InvariantCulture), width.ToString(CultureInfo.InvariantCulture), .. flags];
            children.Add((StartSelf(childArgs), childReport));
        }

        var members = new List<string> { Environment.ProcessId.ToString(CultureInfo.InvariantCulture) };
        foreach ((Process child, string childReport) in children)
        {
            string? line = WaitForLine(childReport, $"ready {child.Id} tree ", TimeSpan.FromSeconds(60));
            if (line is null)
            {
                Write(report, $"child {child.Id} never became ready");
                return 13;
            }

            members.AddRange(line[(line.IndexOf(" tree ", StringComparison.Ordinal) + 6)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        Write(report, $"ready {Environment.ProcessId} tree {string.Join(' ', members)}");
        if (flags.Contains("read"))
        {
            string? got = Console.In.ReadLine();
            Write(report, $"read returned {(got is null ? "null" : "a line")}");
            return 21;
        }

        if (!ctrl)
        {
            Thread.Sleep(TimeSpan.FromSeconds(60));
            return 0;
        }

        if (!s_gotEvent.Wait(TimeSpan.FromSeconds(60)))
        {
            return SawNothing;
        }

        return s_event == 0 ? GotCtrlC : GotCtrlBreak;
    }

    private static int OrphanMaker(string report, bool hold)
    {
        SafeHandle? held = null;
        (int middlePid, string? line) = Orphan(report, args =>
        {
            Process middle = StartSelf(args);
            held = hold ? Native.TryOpen(middle.Id) : null;
            return middle;
        });
        if (line is null)
        {
            return 13;
        }

        if (held is not null)
        {
            // The handle stays open until this process ends.
            Write(report, $"ready {Environment.ProcessId} middle {middlePid} {line}");
            Thread.Sleep(TimeSpan.FromSeconds(60));
            GC.KeepAlive(held);
            return 0;
        }

        // Our handle is closed; wait until the middle child's pid names nothing, so that no walk
        // can reach the grandchild through it.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using SafeHandle? h = Native.TryOpen(middlePid);
            if (h is null)
            {
                break;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Write(report, $"the middle child's pid {middlePid} still opens 10 s after it exited");
                return 14;
            }

            Thread.Sleep(50);
        }

        Write(report, $"ready {Environment.ProcessId} middle {middlePid} {line}");
        Thread.Sleep(TimeSpan.FromSeconds(60));
        return 0;
    }

    /// <summary>
    /// Starts an orphan-middle child with <paramref name="start"/> and waits until it has exited,
    /// leaving its grandchild behind. Returns its pid and its "grandchild G" line; the line is null,
    /// and the report says why, when that failed.
    /// </summary>
    private static (int MiddlePid, string? Line) Orphan(string report, Func<string[], Process> start)
    {
        string middleReport = report + ".middle";
        using Process middle = start(["orphan-middle", middleReport]);
        if (!middle.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            Write(report, "the middle child did not exit");
            return (middle.Id, null);
        }

        string? line = WaitForLine(middleReport, "grandchild ", TimeSpan.FromSeconds(5));
        if (line is null)
        {
            Write(report, "the middle child did not report its grandchild");
        }

        return (middle.Id, line);
    }

    private static int OrphanMiddle(string report)
    {
        string sleepReport = report + ".sleep";
        Process grandchild = StartSelf("sleep", sleepReport);
        if (WaitForLine(sleepReport, $"ready {grandchild.Id}", TimeSpan.FromSeconds(60)) is null)
        {
            Write(report, "the grandchild never became ready");
            return 13;
        }

        Write(report, $"grandchild {grandchild.Id}");
        grandchild.Dispose();
        return 0;
    }

    private static int ForkLoop(string report, int max, bool root)
    {
        Write(report, $"member {Environment.ProcessId}");
        if (root)
        {
            Write(report, $"ready {Environment.ProcessId}");
        }

        var children = new List<Process>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            // Counted when started, not when running: a .NET start under Wine takes seconds.
            if (1 + ReadLines(report).Count(l => l.StartsWith("spawn ", StringComparison.Ordinal)) < max)
            {
                Write(report, $"spawn by {Environment.ProcessId}");
                children.Add(StartSelf("fork-loop", report, max.ToString(CultureInfo.InvariantCulture)));
            }

            Thread.Sleep(100);
        }

        return 0;
    }

    private static int Counter(string report)
    {
        Write(report, $"ready {Environment.ProcessId}");
        for (int i = 0; i < 3000; i++)
        {
            Write(report, $"count {i}");
            Thread.Sleep(20);
        }

        return 0;
    }

    private static int KillTreeOf(string report, int pid)
    {
        try
        {
            TreeKillResult r = ProcessTree.KillAsync(pid).GetAwaiter().GetResult();
            Write(report, $"not refused: {r}");
            return 1;
        }
        catch (ArgumentException e)
        {
            Write(report, $"refused: ArgumentException: {e.Message}");
            return 0;
        }
    }

    /// <summary>The file a member of a "beat" tree writes its heartbeat to.</summary>
    internal static string BeatFile(string prefix, int pid) => $"{prefix}-{pid.ToString(CultureInfo.InvariantCulture)}.txt";

    private static void StartBeating(string prefix)
    {
        string file = BeatFile(prefix, Environment.ProcessId);
        var beater = new Thread(() =>
        {
            for (int n = 0; ; n++)
            {
                Write(file, $"beat {n}");
                Thread.Sleep(50);
            }
        })
        {
            IsBackground = true,
        };
        beater.Start();
    }

    private static ProcessStartInfo SelfStartInfo(string[] args)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    private static Process StartSelf(params string[] args) =>
        Process.Start(SelfStartInfo(args)) ?? throw new InvalidOperationException("Process.Start returned null");

    /// <summary>The lines of a report file; empty when it does not exist yet.</summary>
    internal static string[] ReadLines(string file)
    {
        try
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var sr = new StreamReader(fs);
            return sr.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        catch (FileNotFoundException)
        {
            return [];
        }
    }

    /// <summary>Waits for a line that starts with <paramref name="prefix"/>; null on timeout.</summary>
    internal static string? WaitForLine(string file, string prefix, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string? line = ReadLines(file).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (line is not null || clock.Elapsed > timeout)
            {
                return line;
            }

            Thread.Sleep(25);
        }
    }

    [UnmanagedCallersOnly]
    private static int Handler(uint ctrlType)
    {
        if (Interlocked.CompareExchange(ref s_event, (int)ctrlType, -1) == -1)
        {
            s_gotEvent.Set();
        }

        return 1; // handled: the process is not ended by the default handler
    }

    private static readonly Lock s_writeLock = new();

    internal static void Write(string report, string line)
    {
        using Lock.Scope scope = s_writeLock.EnterScope();
        using var fs = new FileStream(report, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        using var sw = new StreamWriter(fs);
        sw.WriteLine(line);
    }
}
