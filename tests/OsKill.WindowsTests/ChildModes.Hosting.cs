using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OsKill.Extensions.Hosting;

namespace OsKill.WindowsTests;

/// <summary>The child mode that is a Generic Host with a child of its own (see TreeCases.Hosting.cs).</summary>
internal static partial class ChildModes
{
    /// <summary>
    /// Starts a host (<see cref="TreeCases.BuildHost"/>, its log in the report) with one "sleep"
    /// child; once the child is ready writes "ready PID child CPID" and sleeps, for the driver to
    /// end it with TerminateProcess.
    /// </summary>
    private static int HostOfSleeper(string report)
    {
        string childReport = report + ".child";
        using IHost host = TreeCases.BuildHost(TimeSpan.FromSeconds(5), new HostLog(report), new TreeCases.HostedChild("sleeper", "sleep", childReport));
        host.Start();
        int pid = host.Services.GetRequiredService<IChildProcesses>().GetChild("sleeper").ProcessId ?? 0;
        if (WaitForLine(childReport, $"ready {pid}", TimeSpan.FromSeconds(60)) is null)
        {
            Write(report, $"the child {pid} never became ready");
            return 13;
        }

        Write(report, $"ready {Environment.ProcessId} child {pid}");
        Thread.Sleep(TimeSpan.FromSeconds(60));
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
