using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace OsKill.Cli.Run;

/// <summary>
/// <c>oskill run</c> as PID 1 (a container's entry point, <c>unshare --pid --fork</c>). As PID 1 the
/// .NET runtime reaps every child that exits (waitpid(-1) at each SIGCHLD: a PID 1 must reap
/// orphans), so it would also take CMD's exit status from under oskill. So PID 1 stays an init: it
/// starts oskill run again as its child (through .NET's Process, whose status the runtime keeps),
/// forwards the signals it receives to it, lets the runtime reap every orphan, and exits with the
/// child's status. The child does the rest, as it would anywhere.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class InitProcess
{
    internal static int Run(Action<string>? log)
    {
        string[] argv = Encoding.UTF8.GetString(File.ReadAllBytes("/proc/self/cmdline")).TrimEnd('\0').Split('\0');
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "/proc/self/exe") { UseShellExecute = false };
        foreach (string arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using Process child = Process.Start(start) ?? throw new IOException("could not start oskill run as PID 1's child");
        log?.Invoke($"PID 1: reaps orphans; oskill run goes on as pid {child.Id}");
        var registrations = new List<PosixSignalRegistration>();
        try
        {
            foreach (int sig in RunOptions.ForwardedSignals)
            {
                registrations.Add(PosixSignalRegistration.Create(SignalForwarder.ToPosixSignal(sig), context =>
                {
                    context.Cancel = true;
                    if (!child.HasExited)
                    {
                        _ = Native.Kill(child.Id, sig);
                    }
                }));
            }

            child.WaitForExit();
            return child.ExitCode;
        }
        finally
        {
            foreach (PosixSignalRegistration r in registrations)
            {
                r.Dispose();
            }
        }
    }
}
