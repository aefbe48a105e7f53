using System.Diagnostics;
using OsKill;

// A tour of OsKill against a real child process: `sleep 30`.
if (OperatingSystem.IsWindows())
{
    Console.Error.WriteLine("This sample shows the POSIX half of OsKill; run it on Linux or macOS.");
    return 1;
}

Audit.AddHook((name, args) => Console.WriteLine($"  audit: {name}({string.Join(", ", args)})"));

using Process sleep = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
Console.WriteLine($"Started sleep, pid {sleep.Id}.");

Os.Kill(sleep.Id, 0);
Console.WriteLine($"Os.Kill({sleep.Id}, 0): the process exists and we may signal it.");

int term = Signal.Parse("term");
Console.WriteLine($"Signal.Parse(\"term\") = {term} (SIG{Signal.Name(term)}: {Signal.StrSignal(term)}); SIGUSR1 here is {Signal.SIGUSR1}.");

if (OperatingSystem.IsLinux())
{
    using SafePidfdHandle pidfd = Os.PidfdOpen(sleep.Id);
    Console.WriteLine($"Os.PidfdOpen({sleep.Id}) = fd {pidfd.FileDescriptor}; sending SIGTERM through it.");
    Os.Kill(pidfd, term);
    sleep.WaitForExit();
    Console.WriteLine($"sleep ended: exit code {sleep.ExitCode} (128 + {sleep.ExitCode - 128} = killed by SIG{Signal.Name(sleep.ExitCode - 128)}).");

    try
    {
        Os.Kill(pidfd, 0);
    }
    catch (ProcessLookupException e)
    {
        Console.WriteLine($"The pidfd now refuses: {e.GetType().Name} (errno {e.Errno}): {e.Message}");
    }
}
else
{
    Os.Kill(sleep.Id, term);
    sleep.WaitForExit();
    Console.WriteLine($"sleep ended: exit code {sleep.ExitCode}.");
}

try
{
    Os.Kill(sleep.Id, term);
}
catch (ProcessLookupException e)
{
    Console.WriteLine($"Os.Kill on the reaped pid: {e.GetType().Name}: {e.Message}");
}

return 0;
