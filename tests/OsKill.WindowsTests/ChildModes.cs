using System.Runtime.InteropServices;

namespace OsKill.WindowsTests;

/// <summary>
/// What the executable does when the driver starts it as a child: <c>MODE REPORTFILE [options]</c>.
/// Each mode writes "ready" to its report file once it is set up, then what it saw.
/// </summary>
internal static unsafe class ChildModes
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
