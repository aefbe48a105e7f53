using System.Diagnostics;
using OsKill;

Audit.AddHook((evt, args) => Console.WriteLine($"{evt}({string.Join(", ", args)})"));  // sys.addaudithook: each signal, before it is sent

using Process sleeper = Process.Start("sleep", "600")!;
Os.Kill(sleeper.Id, 0);                                // os.kill: kill(2), unchanged; signal 0 asks "exists, and may I signal it?"
try { Os.Kill(-sleeper.Id, Signal.SIGTERM); }         // a negative pid is a process group (Os.KillPg too): sleep leads none
catch (ProcessLookupException e) { Console.WriteLine($"ESRCH: {e.Errno}, pid {e.Pid}, signal {e.Signal}"); }
catch (PermissionDeniedException) { /* EPERM */ }
catch (OsException e) { Console.WriteLine(e.Message); }   // anything else, e.g. EINVAL for a bad signal

int hup = Signal.Parse("hup");                         // util-linux names: hup, SIGHUP, 1, RTMIN+3
if (OperatingSystem.IsLinux())
{
    using SafePidfdHandle pidfd = Os.PidfdOpen(sleeper.Id);   // os.pidfd_open, Linux 5.3+
    Os.Kill(pidfd, hup);                               // can never reach a process that reused the pid
}
else
{
    Os.Kill(sleeper.Id, hup);
}

await sleeper.WaitForExitAsync();

// A graceful stop of a whole tree, in one call: SIGTERM to sh and both its sleeps, 5 s, then SIGKILL
// (Windows: Ctrl+C, then TerminateProcess). Not StopAsync first: once the root has exited, no walk
// can find its children any more, and a later tree call throws ProcessLookupException.
var server = new ProcessStartInfo("sh", ["-c", "sleep 600 & sleep 600 & echo started; wait"]) { RedirectStandardOutput = true };
using Process tree = Process.Start(server)!;
await tree.StandardOutput.ReadLineAsync();              // both sleeps are running
if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
{
    TreeStopResult stopped = await tree.StopTreeAsync();   // or KillTreeAsync: freeze, then SIGKILL, even while it forks
    Console.WriteLine(stopped);
}

// Containment for what no walk can reach (setsid, double forks), bound to this process's life.
if (ProcessContainer.IsSupported)
{
    using var container = new ProcessContainer();     // a cgroup v2 on Linux, a job object on Windows
    using Process daemon = container.Start(new ProcessStartInfo("sh", ["-c", "setsid sleep 600 & (sleep 600 &)"]));
    await daemon.WaitForExitAsync();                   // sh has exited; its sleeps run on, detached
    Console.WriteLine(await container.KillAsync());    // everything it started, however it detached
}
