using System.Diagnostics;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace OsKill.WindowsTests;

/// <summary>
/// A child process: this same executable, started with a mode argument (see <see cref="ChildModes"/>).
/// It reports through a file, because a child with a console of its own has no stdout we can read.
/// Every child is recorded, and <see cref="KillAll"/> ends those still running after each case.
/// </summary>
internal sealed class Child : IDisposable
{
    private static readonly List<Child> s_all = [];
    private static int s_counter;

    private readonly Process? _process;

    private Child(SafeProcessHandle handle, int pid, Process? process, string reportFile, string description)
    {
        Handle = handle;
        Pid = pid;
        _process = process;
        ReportFile = reportFile;
        Description = description;
        lock (s_all)
        {
            s_all.Add(this);
        }
    }

    internal static string WorkDir { get; set; } = Path.GetTempPath();

    internal int Pid { get; }

    /// <summary>The process handle: <see cref="Process.SafeHandle"/> where Process started it.</summary>
    internal SafeProcessHandle Handle { get; }

    /// <summary>The Process object, for children started with Process.Start.</summary>
    internal Process Process => _process ?? throw new InvalidOperationException($"{Description} was not started with Process.Start");

    internal string ReportFile { get; }

    internal string Description { get; }

    private static string Exe => Environment.ProcessPath ?? throw new InvalidOperationException("no ProcessPath");

    /// <summary>Starts a child with Process.Start, on our console, in our group or a new one.</summary>
    internal static Child Start(string mode, bool newProcessGroup = false, params string[] extra) =>
        Start(mode, newProcessGroup, hidden: false, extra);

    /// <summary>Starts a child with Process.Start and CreateNoWindow: on a console of its own, without a window.</summary>
    internal static Child StartHidden(string mode, params string[] extra) => Start(mode, newProcessGroup: false, hidden: true, extra);

    private static Child Start(string mode, bool newProcessGroup, bool hidden, string[] extra)
    {
        string report = NewReportFile(mode);
        var psi = new ProcessStartInfo(Exe)
        {
            UseShellExecute = false,
            CreateNewProcessGroup = newProcessGroup,
            CreateNoWindow = hidden,
        };
        psi.ArgumentList.Add(mode);
        psi.ArgumentList.Add(report);
        foreach (string e in extra)
        {
            psi.ArgumentList.Add(e);
        }

        Process p = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned null");
        return new Child(p.SafeHandle, p.Id, p, report, $"{mode} child {p.Id}{(newProcessGroup ? " (new process group)" : "")}{(hidden ? " (CreateNoWindow)" : "")}");
    }

    /// <summary>Starts a child on a console of its own (CREATE_NEW_CONSOLE), through CreateProcessW.</summary>
    internal static Child StartOnNewConsole(string mode, params string[] extra)
    {
        string report = NewReportFile(mode);
        var cmd = new StringBuilder();
        cmd.Append(Quote(Exe)).Append(' ').Append(mode).Append(' ').Append(Quote(report));
        foreach (string e in extra)
        {
            cmd.Append(' ').Append(Quote(e));
        }

        (SafeProcessHandle handle, int pid) = Native.Start(cmd.ToString(), Native.CREATE_NEW_CONSOLE);
        return new Child(handle, pid, null, report, $"{mode} child {pid} (new console)");
    }

    internal static void KillAll()
    {
        Child[] all;
        lock (s_all)
        {
            all = [.. s_all];
            s_all.Clear();
        }

        foreach (Child c in all)
        {
            c.Dispose();
        }
    }

    /// <summary>The exit code, or null while the child runs.</summary>
    internal uint? ExitCode
    {
        get
        {
            if (!Native.GetExitCodeProcess(Handle, out uint code))
            {
                throw new InvalidOperationException($"GetExitCodeProcess({Description}) failed");
            }

            return code == Native.STILL_ACTIVE && Native.WaitForSingleObject(Handle, 0) == Native.WAIT_TIMEOUT ? null : code;
        }
    }

    /// <summary>Waits for the child to exit and returns its exit code, or null on timeout.</summary>
    internal uint? WaitExit(TimeSpan timeout)
    {
        uint rc = Native.WaitForSingleObject(Handle, (uint)timeout.TotalMilliseconds);
        return rc == Native.WAIT_OBJECT_0 ? ExitCode : null;
    }

    internal uint WaitExitOrFail(TimeSpan timeout) =>
        WaitExit(timeout) ?? throw new TestFailure($"{Description} still running after {timeout.TotalSeconds:0.#} s; report: [{Report}]");

    internal string Report
    {
        get
        {
            try
            {
                using var fs = new FileStream(ReportFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var sr = new StreamReader(fs);
                return sr.ReadToEnd().Trim().ReplaceLineEndings(" | ");
            }
            catch (FileNotFoundException)
            {
                return "";
            }
        }
    }

    /// <summary>Waits until the report contains <paramref name="text"/>; false on timeout or when the child exits without it.</summary>
    internal bool WaitReport(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (Report.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            bool exited = ExitCode is not null;
            if (exited || sw.Elapsed > timeout)
            {
                // One last look: the child may have written just before it exited.
                return Report.Contains(text, StringComparison.Ordinal);
            }

            Thread.Sleep(25);
        }
    }

    /// <summary>Waits for the "ready" line that a child writes once its handlers are in place.</summary>
    internal void WaitReady()
    {
        if (!WaitReport($"ready {Pid}", TimeSpan.FromSeconds(15)))
        {
            throw new TestFailure($"{Description} never became ready (exit code {Fmt(ExitCode)}, report [{Report}])");
        }
    }

    internal static string Fmt(uint? code) => code is null ? "none: still running" : $"{code} (0x{code:x})";

    public void Dispose()
    {
        if (!Handle.IsClosed && ExitCode is null)
        {
            _ = Native.TerminateProcess(Handle, 0xDEAD);
            _ = Native.WaitForSingleObject(Handle, 5000);
        }

        if (_process is not null)
        {
            _process.Dispose();
        }
        else
        {
            Handle.Dispose();
        }
    }

    internal static string NewReportFile(string mode) =>
        Path.Combine(WorkDir, $"{Interlocked.Increment(ref s_counter):00}-{mode}.txt");

    private static string Quote(string s) => s.Contains(' ', StringComparison.Ordinal) || s.Length == 0 ? $"\"{s}\"" : s;
}
