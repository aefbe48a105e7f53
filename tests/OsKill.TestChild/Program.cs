using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using OsKill;
using OsKill.TestChild;

// The test child. It prints "ready <pid>" once it is set up, then one line per event:
//   catch SIG...        handle each signal (raw native numbers) and print "got SIG"; exit with the
//                       number of the first signal received once stdin closes (0 if none).
//   catch-exit SIG...   as catch, but exit at once with the number of the first signal received.
//   default SIG...      put back the default action for each signal (overriding the runtime),
//                       so that the signal ends the process: the parent reads it from the wait status.
//   ignore SIG...       set each signal to SIG_IGN (the kernel drops it; nothing is printed), then
//                       sleep until stdin closes and exit 0. For "a child that ignores SIGTERM".
//   catch-posix NAME... register PosixSignalRegistration for the named PosixSignal members (such as
//                       SIGHUP, the portable value -1, not a native number) and print "got NAME" for
//                       each signal received; exit 0 once stdin closes.
//   sleep               do nothing until killed or stdin closes.
//   spawn N MODE ARGS   start N more children (same MODE and ARGS) in this process group, print
//                       "child <pid>" for each and "ready <pid>" for itself, then act as MODE.
//                       With MODE kill-own-group SIG the children run "catch SIG" instead, and this
//                       process, after its own "got SIG", keeps its children until stdin closes.
//   kill PID SIG        call Os.Kill(PID, SIG) and print "result ok|ESRCH|EPERM|EINVAL|errno N".
//   killpg PGID SIG     the same with Os.KillPg.
//   kill-own-group SIG  catch SIG, then Os.Kill(0, SIG): every member of our group, us included.
//   raise SIG           catch SIG, then Signal.RaiseSignal(SIG).
//   pthread SIG         a second thread blocks SIG; Signal.PthreadKill sends it there; print what
//                       the kernel shows pending for that thread and for the process.
//   alloc               print the bytes allocated by 10000 calls of Os.Kill(self, 0).
//   contain-owner       own a ProcessContainer with a setsid and a double-forked member; see ContainerModes.
//   contain-cgroup      start cat /proc/self/cgroup in a container, with a hostile environment.
//   contain-signals     the signal dispositions and mask of a program started in a container.
//   watch-many N, watch-emfile [FREE], watch-broken
//                       the exit watcher under a low RLIMIT_NOFILE, out of descriptors, and with its
//                       epoll descriptor replaced: see WatcherModes.cs.
//   container-emfile FREE
//                       new ProcessContainer() with only FREE descriptors free: see ExhaustionModes.cs.
//   soak-server         run the soak's operations with few descriptors free, on command: see SoakServer.cs.
string mode = args.Length > 0 ? args[0] : "sleep";
string[] rest = args.Skip(1).ToArray();
return mode switch
{
    "catch" => Catch(ParseSignals(rest), exitOnFirst: false),
    "catch-exit" => Catch(ParseSignals(rest), exitOnFirst: true),
    "default" => Default(ParseSignals(rest)),
    "ignore" => Ignore(ParseSignals(rest)),
    "catch-posix" => CatchPosix(rest),
    "sleep" => SleepUntilStdinCloses(),
    "spawn" => Spawn(int.Parse(rest[0], CultureInfo.InvariantCulture), rest[1..]),
    "kill" => Report(() => Os.Kill(Int(rest[0]), Sig(rest[1]))),
    "killpg" => Report(() => Os.KillPg(Int(rest[0]), Sig(rest[1]))),
    "kill-own-group" => CatchThen(Sig(rest[0]), () => Os.Kill(0, Sig(rest[0]))),
    "raise" => CatchThen(Sig(rest[0]), () => Signal.RaiseSignal(Sig(rest[0]))),
    "pthread" => PthreadKill(Sig(rest[0])),
    "alloc" => Alloc(),
    "contain-owner" => ContainerModes.Owner(Say, Ready),
    "contain-cgroup" => ContainerModes.Cgroup(Say, Ready),
    "contain-signals" => ContainerModes.Signals(Say, Ready),
    "watch-many" => WatcherModes.WatchMany(Int(rest[0])),
    "watch-emfile" => WatcherModes.WatchEmfile(rest.Length > 0 ? Int(rest[0]) : 0),
    "watch-broken" => WatcherModes.WatchBroken(),
    "container-emfile" => ExhaustionModes.Container(Int(rest[0]), Say, Ready),
    "soak-server" => SoakServer.Run(Say, Ready),
    _ => Fail($"unknown mode {mode}"),
};

static int Int(string s) => int.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

// A signal argument: a name or number the library parses, or any integer (to test invalid ones).
static int Sig(string s) => Signal.TryParse(s, out int sig) ? sig : Int(s);

static int[] ParseSignals(string[] names) => names.Select(Signal.Parse).ToArray();

static void Say(string line)
{
    Console.Out.WriteLine(line);
    Console.Out.Flush();
}

static void Ready() => Say($"ready {Environment.ProcessId}");

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}

static int SleepUntilStdinCloses()
{
    Ready();
    while (Console.In.ReadLine() is not null)
    {
    }

    return 0;
}

static int UntilStdinCloses(int result)
{
    while (Console.In.ReadLine() is not null)
    {
    }

    return result;
}

static int Catch(int[] signals, bool exitOnFirst)
{
    int first = 0;
    object gate = new();
    var registrations = new List<PosixSignalRegistration>();
    foreach (int sig in signals)
    {
        registrations.Add(PosixSignalRegistration.Create((PosixSignal)sig, context =>
        {
            context.Cancel = true;
            lock (gate)
            {
                if (first == 0)
                {
                    first = sig;
                }
            }

            Say($"got {sig}");
            if (exitOnFirst)
            {
                Environment.Exit(sig);
            }
        }));
    }

    Ready();
    while (Console.In.ReadLine() is not null)
    {
    }

    GC.KeepAlive(registrations);
    lock (gate)
    {
        return first;
    }
}

static int Default(int[] signals)
{
    Native.DisableCoreDumps();
    foreach (int sig in signals)
    {
        Native.RestoreDefault(sig);
    }

    return SleepUntilStdinCloses();
}

static int Ignore(int[] signals)
{
    foreach (int sig in signals)
    {
        // signal(sig, SIG_IGN), where SIG_IGN is the handler value 1.
        if (SetSignal(sig, 1) == -1)
        {
            return Fail($"signal({sig}, SIG_IGN) failed");
        }
    }

    return SleepUntilStdinCloses();

    [DllImport("libc", EntryPoint = "signal")]
    static extern nint SetSignal(int sig, nint handler);
}

static int CatchPosix(string[] names)
{
    var registrations = new List<PosixSignalRegistration>();
    foreach (string name in names)
    {
        PosixSignal signal = Enum.Parse<PosixSignal>(name);
        registrations.Add(PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            Say($"got {name}");
        }));
    }

    int result = SleepUntilStdinCloses();
    GC.KeepAlive(registrations);
    return result;
}

static int Spawn(int count, string[] childArgs)
{
    string self = Environment.GetCommandLineArgs()[0];
    var children = new List<System.Diagnostics.Process>();
    string[] grandchildArgs = childArgs[0] == "kill-own-group" ? ["catch", .. childArgs[1..]] : childArgs;
    for (int i = 0; i < count; i++)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (self.EndsWith(".dll", StringComparison.Ordinal))
        {
            psi.ArgumentList.Add(self);
        }

        foreach (string a in grandchildArgs)
        {
            psi.ArgumentList.Add(a);
        }

        Process child = System.Diagnostics.Process.Start(psi)!;

        // .NET does not allow a synchronous ReadLine before BeginOutputReadLine on the same
        // stream, so the first line ("ready") comes through the event handler as well.
        int childId = child.Id;
        var ready = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        child.OutputDataReceived += (_, e) =>
        {
            if (!ready.Task.IsCompleted)
            {
                ready.TrySetResult(e.Data);
            }
            else if (e.Data is not null)
            {
                Say($"child {childId} {e.Data}");
            }
        };
        child.BeginOutputReadLine();
        string? line = ready.Task.Wait(TimeSpan.FromSeconds(20)) ? ready.Task.Result : null;
        if (line is null || !line.StartsWith("ready ", StringComparison.Ordinal))
        {
            return Fail($"grandchild did not start: {line}");
        }

        children.Add(child);
        Say($"child {childId}");
    }

    string ownMode = childArgs[0];
    string[] ownArgs = childArgs[1..];
    int result = ownMode switch
    {
        "catch" => Catch(ParseSignals(ownArgs), exitOnFirst: false),
        "default" => Default(ParseSignals(ownArgs)),
        "kill-own-group" => UntilStdinCloses(CatchThen(Sig(ownArgs[0]), () => Os.Kill(0, Sig(ownArgs[0])))),
        _ => SleepUntilStdinCloses(),
    };

    foreach (Process child in children)
    {
        child.StandardInput.Close();
        child.WaitForExit();
    }

    return result;
}

static int Report(Action action)
{
    Ready();
    try
    {
        action();
        Say("result ok");
    }
    catch (OsException e)
    {
        Say("result " + e.Errno switch
        {
            3 => "ESRCH",
            1 => "EPERM",
            22 => "EINVAL",
            _ => $"errno {e.Errno}",
        });
        Say("message " + e.Message);
    }

    return 0;
}

static int CatchThen(int sig, Action send)
{
    using var got = new ManualResetEventSlim();
    using var registration = PosixSignalRegistration.Create((PosixSignal)sig, context =>
    {
        context.Cancel = true;
        Say($"got {sig}");
        got.Set();
    });
    Ready();
    send();
    Say("sent");
    return got.Wait(TimeSpan.FromSeconds(10)) ? sig : 0;
}

static int PthreadKill(int sig)
{
    Ready();
    nuint threadId = 0;
    int tid = 0;
    using var blocked = new ManualResetEventSlim();
    using var done = new ManualResetEventSlim();
    var thread = new Thread(() =>
    {
        Native.BlockInThisThread(sig);
        threadId = Signal.CurrentThreadId;
        tid = Native.GetTid();
        blocked.Set();
        done.Wait();
    });
    thread.Start();
    blocked.Wait();

    Signal.PthreadKill(threadId, 0);
    Say("probe ok");
    Signal.PthreadKill(threadId, sig);
    Say("sent");

    // The signal is blocked in that thread, so it stays pending there: the kernel shows it in the
    // thread's SigPnd (thread-directed) and not in ShdPnd (process-directed).
    ulong mask = 1UL << (sig - 1);
    Say($"thread-pending {(ReadMask(tid, "SigPnd") & mask) != 0}");
    Say($"process-pending {(ReadMask(tid, "ShdPnd") & mask) != 0}");
    done.Set();
    thread.Join();
    return 0;

    static ulong ReadMask(int tid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/self/task/{tid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return ulong.Parse(line[(field.Length + 1)..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no {field} in status of task {tid}");
    }
}

static int Alloc()
{
    Ready();
    int self = Environment.ProcessId;
    for (int i = 0; i < 1000; i++)
    {
        Os.Kill(self, 0);
    }

    long before = GC.GetAllocatedBytesForCurrentThread();
    for (int i = 0; i < 10000; i++)
    {
        Os.Kill(self, 0);
    }

    long after = GC.GetAllocatedBytesForCurrentThread();
    Say($"allocated {after - before}");
    return 0;
}
