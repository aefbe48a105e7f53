using System.Diagnostics;
using OsKill;

using Process server = Process.Start("my-server")!;
int pid = server.Id;
int pgid = pid;                                    // say it leads a process group of its own

Os.Kill(pid, Signal.SIGTERM);                      // os.kill: kill(2), unchanged
Os.Kill(pid, 0);                                   // exists, and may I signal it?
if (!OperatingSystem.IsWindows())
{
    Os.KillPg(pgid, Signal.Parse("hup"));          // os.killpg, with util-linux signal names
    Os.Kill(-pgid, Signal.Parse("RTMIN+3"));       // negative pid = process group
}

if (OperatingSystem.IsLinux())
{
    using SafePidfdHandle pidfd = Os.PidfdOpen(pid);   // Linux 5.3+
    Os.Kill(pidfd, Signal.SIGUSR1);                // can never reach a process that reused the pid
}

try { Os.Kill(pid, Signal.SIGKILL); }
catch (ProcessLookupException e) { Console.WriteLine($"ESRCH: {e.Errno}, pid {e.Pid}, signal {e.Signal}"); }
catch (PermissionDeniedException) { /* EPERM */ }
catch (OsException e) { Console.WriteLine(e.Message); }   // anything else, e.g. EINVAL for a bad signal

Audit.AddHook((evt, args) => Console.WriteLine($"{evt}({string.Join(", ", args)})"));  // sys.addaudithook

// The idiomatic layer: a handle that cannot go stale, and a graceful stop.
using Process worker = Process.Start("my-worker")!;
StopResult r = await worker.StopAsync();           // SIGTERM, 5 s, then SIGKILL (Windows: Ctrl+C, then TerminateProcess)
if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
{
    await worker.StopTreeAsync();                  // the same to every descendant: no grandchild left behind
    await worker.KillTreeAsync();                  // freeze the tree, then SIGKILL: even a forking tree dies whole
}

// Containment for what no walk can reach (setsid, double forks), bound to this process's life.
if (ProcessContainer.IsSupported)
{
    using var container = new ProcessContainer();  // a cgroup v2 on Linux, a job object on Windows
    using Process build = container.Start(new ProcessStartInfo("make") { ArgumentList = { "-j8" } });
    await container.KillAsync();                   // everything it started, however it detached
}

// Windows: Ctrl+C to any console process, with no helper exe written to disk.
if (OperatingSystem.IsWindows())
{
    ConsoleControl.Send(pid, ConsoleEvent.CtrlC);
}
