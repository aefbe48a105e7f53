using System.Diagnostics;
using OsKill;

// The README's usage section, in an app that runs wherever .NET does. What works on every OS that
// OsKill supports is called as it is; what does not is guarded the way its XML docs say.
// Run it on Linux, macOS or Windows: it starts a few children and stops them in the ways shown.

// The child: something that runs for 30 s. Chosen here, not in a helper: a called method that
// checks the OS itself makes the analyzer forget the guard its caller is in.
ProcessStartInfo child30s = OperatingSystem.IsWindows()
    ? new ProcessStartInfo("ping", "-n 30 127.0.0.1") { UseShellExecute = false, CreateNoWindow = true }
    : new ProcessStartInfo("sleep", "30") { UseShellExecute = false };

Audit.AddHook((evt, args) => Console.WriteLine($"  audit: {evt}({string.Join(", ", args)})"));

int term = Signal.Parse(OperatingSystem.IsWindows() ? "TERM" : "hup");
Console.WriteLine($"Signal.Parse: {term} (SIG{Signal.Name(term)})");

using (Process child = StartChild())
{
    Os.Kill(child.Id, 0);                                   // exists, and may I signal it?
    if (!OperatingSystem.IsWindows())
    {
        try
        {
            Os.KillPg(child.Id, 0);                         // no killpg on Windows
        }
        catch (ProcessLookupException e)
        {
            Console.WriteLine($"Os.KillPg: the child leads no group of its own ({e.Errno}).");
        }
    }

    if (OperatingSystem.IsLinux())
    {
        using SafePidfdHandle pidfd = Os.PidfdOpen(child.Id); // Linux 5.3+
        Os.Kill(pidfd, 0);
    }

    if (OperatingSystem.IsWindows())
    {
        ConsoleControl.Send(child.Id, ConsoleEvent.CtrlC);  // the child's own (hidden) console
    }
    else
    {
        Os.Kill(child.Id, Signal.SIGTERM);
    }

    child.WaitForExit();
    Console.WriteLine($"Stopped: exit code {child.ExitCode}");
}

using (Process child = StartChild())
using (var handle = ProcessHandle.Open(child.Id))
{
    Console.WriteLine($"ProcessHandle.Open: {handle}, alive: {handle.IsAlive}");
    handle.Signal(Signal.SIGTERM);
    await handle.WaitForExitAsync();
    Console.WriteLine($"ProcessHandle: exited, {handle.ExitStatus?.ToString() ?? "status unknown (not our child)"}");
}

using (Process child = StartChild())
{
    using var handle = ProcessHandle.FromProcess(child);
    StopResult stopped = await handle.StopAsync(StopOptions.Graceful(TimeSpan.FromSeconds(2)));
    Console.WriteLine($"ProcessHandle.StopAsync: {stopped}");
}

using (Process child = StartChild())
{
    StopResult stopped = await child.StopAsync();           // SIGTERM, 5 s, then SIGKILL
    Console.WriteLine($"Process.StopAsync: {stopped}");
}

// The tree calls and containers work on Linux and Windows, not on macOS or FreeBSD.
if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
{
    using (Process child = StartChild())
    {
        Console.WriteLine($"Process.StopTreeAsync: {await child.StopTreeAsync()}");
    }

    using (Process child = StartChild())
    {
        Console.WriteLine($"Process.KillTreeAsync: {await child.KillTreeAsync()}");
    }

    using (Process child = StartChild())
    {
        Console.WriteLine($"ProcessTree.KillAsync: {await ProcessTree.KillAsync(child.Id)}");
    }

    using (Process child = StartChild())
    {
        Console.WriteLine($"ProcessTree.StopAsync: {await ProcessTree.StopAsync(child.Id)}");
    }
}

if (ProcessContainer.IsSupported)
{
    try
    {
        using var container = new ProcessContainer();
        using Process child = container.Start(child30s);
        Console.WriteLine($"ProcessContainer: {string.Join(", ", container.GetProcessIds())}");
        Console.WriteLine($"ProcessContainer.KillAsync: {await container.KillAsync()}");
    }
    catch (UnauthorizedAccessException e)
    {
        Console.WriteLine($"ProcessContainer: no delegated cgroup here ({e.Message})");
    }
}

return 0;

Process StartChild() => Process.Start(child30s)!;
