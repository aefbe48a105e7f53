using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OsKill.Extensions.Hosting;

namespace OsKill.WindowsTests;

/// <summary>The child modes of the hosting cases: a Generic Host with a child of its own, and a child that writes to stdout and stderr (see TreeCases.Hosting.cs).</summary>
internal static unsafe partial class ChildModes
{
    /// <summary>
    /// Starts a host (<see cref="TreeCases.BuildHost"/>, its log in the report) with one child in
    /// <paramref name="childMode"/>, called "child"; once the child is ready writes "ready PID child
    /// CPID". Without <paramref name="console"/> then sleeps, for the driver to end it with
    /// TerminateProcess; with it, runs under ConsoleLifetime (Ctrl+C enabled) until a Ctrl+C stops
    /// the host, writes "host stopped" and exits 0. <paramref name="logOutput"/> is the child's LogOutput.
    /// </summary>
    private static int HostOf(string report, string childMode, bool console, bool logOutput)
    {
        if (console && !Native.SetConsoleCtrlHandler(null, false))
        {
            Write(report, $"SetConsoleCtrlHandler(NULL, FALSE) failed: {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            return 10;
        }

        string childReport = report + ".child";
        using IHost host = TreeCases.BuildHost(TimeSpan.FromSeconds(10), new HostLog(report), consoleLifetime: console, new TreeCases.HostedChild("child", childMode, childReport, LogOutput: logOutput));
        host.Start();
        int pid = host.Services.GetRequiredService<IChildProcesses>().GetChild("child").ProcessId ?? 0;
        if (WaitForLine(childReport, $"ready {pid}", TimeSpan.FromSeconds(60)) is null)
        {
            Write(report, $"the child {pid} never became ready");
            return 13;
        }

        Write(report, $"ready {Environment.ProcessId} child {pid}");
        if (!console)
        {
            Thread.Sleep(TimeSpan.FromSeconds(60));
            return 0;
        }

        host.WaitForShutdown();
        Write(report, "host stopped");
        return 0;
    }

    /// <summary>Writes "out PID" to stdout and "err PID" to stderr, for a host that logs them; then as <see cref="Sleep"/>.</summary>
    private static int Echo(string report)
    {
        Console.Out.WriteLine($"out {Environment.ProcessId}");
        Console.Out.Flush();
        Console.Error.WriteLine($"err {Environment.ProcessId}");
        Console.Error.Flush();
        return Sleep(report);
    }
}
