using System.Runtime.InteropServices;

namespace OsKill.WindowsTests;

/// <summary>
/// The Windows tests of OsKill. With no argument: the driver, which runs every case and ends with
/// "wine: N passed, N failed[, N skipped]" (or "windows: ..." on Windows). With a mode argument:
/// a child process for the cases (see <see cref="ChildModes"/>).
/// </summary>
internal static unsafe class Program
{
    private static int s_driverCtrlC;
    private static int s_driverCtrlBreak;

    /// <summary>How many Ctrl+C events the driver's own handler has seen.</summary>
    internal static int DriverCtrlC => Volatile.Read(ref s_driverCtrlC);

    /// <summary>How many Ctrl+Break events the driver's own handler has seen.</summary>
    internal static int DriverCtrlBreak => Volatile.Read(ref s_driverCtrlBreak);

    /// <summary>Wine's version, or null on Windows.</summary>
    internal static string? Wine { get; private set; }

    internal static bool OnWine => Wine is not null;

    private static int Main(string[] args)
    {
        if (args.Length > 1 && args[0] == "--oskill")
        {
            return TreeCases.OskillMode(args);
        }

        if (args.Length > 0)
        {
            return ChildModes.Run(args);
        }

        string consoleSetup = EnsureConsole();
        Wine = Native.WineVersion();

        // The driver protects itself: Ctrl+C enabled, and a handler that counts and swallows every
        // event, so a case can tell whether the driver was reached (and the driver survives it).
        if (!Native.SetConsoleCtrlHandler(null, false) || !Native.SetConsoleCtrlHandler(&DriverHandler, true))
        {
            Console.WriteLine($"cannot install the driver's console control handler: WinError {Marshal.GetLastPInvokeError()}");
            return 2;
        }

        // Unique: pids repeat from one Wine prefix to the next, and a report file left by an earlier
        // run must never be read as this run's.
        string work = Path.Combine(Path.GetTempPath(), $"oskill-wintests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        Child.WorkDir = work;

        Console.WriteLine($"OsKill Windows tests on {(OnWine ? $"Wine {Wine}" : "Windows")}, " +
            $"{RuntimeInformation.FrameworkDescription}, pid {Environment.ProcessId}; {consoleSetup}");

        // OSKILL_WINTESTS=name,name runs only those cases (for debugging one case).
        string[]? only = Environment.GetEnvironmentVariable("OSKILL_WINTESTS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var harness = new Harness(perCase: TimeSpan.FromSeconds(20), budget: TimeSpan.FromSeconds(420), only);
        Cases.RunAll(harness);

        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        Console.WriteLine($"{(OnWine ? "wine" : "windows")}: {harness.Summary}");
        Console.Out.Flush();
        int code = harness.Failed == 0 ? 0 : 1;

        // A case that hung left its thread behind; end the process without waiting for it.
        Environment.Exit(code);
        return code;
    }

    /// <summary>
    /// Without a terminal (as in CI), a program under Wine has no usable console until it calls
    /// FreeConsole(); AllocConsole(); and AllocConsole points the std handles at the new console,
    /// where the output would vanish. So: keep every std handle that is not a console, make a
    /// console, and put those handles back.
    /// </summary>
    private static string EnsureConsole()
    {
        if (Native.HasConsole())
        {
            return "console inherited";
        }

        int[] which = [Native.STD_INPUT_HANDLE, Native.STD_OUTPUT_HANDLE, Native.STD_ERROR_HANDLE];
        var saved = new List<(int Which, nint Handle)>();
        foreach (int w in which)
        {
            nint h = Native.GetStdHandle(w);
            if (h != 0 && h != -1 && !Native.GetConsoleMode(h, out _))
            {
                saved.Add((w, h));
            }
        }

        _ = Native.FreeConsole();
        if (!Native.AllocConsole())
        {
            return $"no console, and AllocConsole failed: WinError {Marshal.GetLastPInvokeError()}";
        }

        foreach ((int w, nint h) in saved)
        {
            _ = Native.SetStdHandle(w, h);
        }

        return $"no console at start: allocated one, restored {saved.Count} std handle(s)";
    }

    [UnmanagedCallersOnly]
    private static int DriverHandler(uint ctrlType)
    {
        if (ctrlType == Native.CTRL_C_EVENT)
        {
            Interlocked.Increment(ref s_driverCtrlC);
        }
        else if (ctrlType == Native.CTRL_BREAK_EVENT)
        {
            Interlocked.Increment(ref s_driverCtrlBreak);
        }

        return 1;
    }
}
