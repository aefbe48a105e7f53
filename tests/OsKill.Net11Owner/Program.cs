using System.Diagnostics;
using OsKill;

// OsKill.Net11Owner MODE: start the tree "sh -c 'setsid sleep 600 & (sleep 600 &); exec sleep 600'"
//   kill-on-parent-exit   with .NET 11's ProcessStartInfo.KillOnParentExit = true
//   container             in an OsKill ProcessContainer (never disposed: the owner dies with it open)
// then print "runtime VERSION", "member PID" for each of the three sleeps, "ready PID", and wait
// until stdin closes.
string mode = args.Length > 0 ? args[0] : string.Empty;
var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
psi.ArgumentList.Add("-c");
psi.ArgumentList.Add("setsid sleep 600 & echo $!; (sleep 600 & echo $!); echo $$; exec sleep 600 >/dev/null");

Process root;
ProcessContainer? container = null;
switch (mode)
{
    case "kill-on-parent-exit":
        psi.KillOnParentExit = true;
        root = Process.Start(psi)!;
        break;
    case "container":
        container = new ProcessContainer();
        root = container.Start(psi);
        break;
    default:
        Console.Error.WriteLine("usage: OsKill.Net11Owner kill-on-parent-exit|container");
        return 2;
}

Console.WriteLine($"runtime {Environment.Version}");
for (int i = 0; i < 3; i++)
{
    Console.WriteLine($"member {root.StandardOutput.ReadLine()}");
}

Console.WriteLine($"ready {Environment.ProcessId}");
Console.Out.Flush();
while (Console.In.ReadLine() is not null)
{
}

// Held to the end: a container that is collected is killed, as a Windows job handle would be.
GC.KeepAlive(container);
return 0;
