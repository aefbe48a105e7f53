using System.Diagnostics;
using System.Globalization;

namespace OsKill.TestChild;

/// <summary>
/// soak-server: runs the soak's operations with only a few descriptors free (tests/OsKill.Tests/Soak),
/// one at a time, on processes that the test host started and owns. It prints "ready PID", runs
/// every operation once with descriptors to spare and once with 2 and 3 free (so that whatever
/// the library and the runtime load is loaded, and the exit watcher exists), prints "warm", then
/// reads commands from stdin:
///   ID OPERATION FREE PID   run OPERATION on pid PID with FREE descriptors free below a lowered
///                           RLIMIT_NOFILE, held until the call has ended; print
///                           "result ID ok DETAIL" or "result ID threw TYPE errno=N MESSAGE"
///                           (or "result ID hang" after a minute).
///   quit                    print "leaks fds-before=N fds-after=N [new:FD->TARGET ...] threads-before=N
///                           threads-after=N cgroups-left=N" and "done", and exit.
/// OPERATION is one of <see cref="Operations"/>. Only the call itself runs short of descriptors:
/// handles it needs are opened before, and closed after.
/// </summary>
internal static class SoakServer
{
    /// <summary>The operations, as the host names them.</summary>
    internal static readonly string[] Operations =
    [
        "open", "wait", "stop", "kill-tree-handle", "kill-tree-pid", "kill-tree-pidfd",
        "stop-tree-handle", "stop-tree-pid", "container-new", "container-start",
    ];

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static readonly StopOptions Steps = new([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromMilliseconds(200)), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(10))]);

    private static readonly List<string> s_cgroups = [];

    /// <summary>How many thread-pool threads are kept busy for a moment before each shortage, so that idle ones exist (see <see cref="Prime"/>).</summary>
    private const int PoolThreads = 8;

    internal static int Run(Action<string> say, Action ready)
    {
        ready();

        // If the process dies of an unhandled exception, say where: the .NET thread pool's gate
        // thread dies of an OutOfMemoryException when it cannot start a worker (it needs 2
        // descriptors), which is the runtime's doing, not the library's. Formatting a stack trace
        // once now loads what that needs while descriptors are free.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            Console.Error.WriteLine("unhandled: " + e.ExceptionObject.ToString()?.ReplaceLineEndings(" | "));
            Console.Error.Flush();
        };
        try
        {
            throw new InvalidOperationException("a stack trace, formatted once");
        }
        catch (InvalidOperationException e)
        {
            _ = e.ToString();
        }

        Descriptors.LoadEverythingReferenced();
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, PoolThreads), io);
        foreach (string operation in Operations)
        {
            // Once with descriptors to spare (it must work), then once with 2 and with 3 free (any
            // outcome): what the runtime loads or makes on first use on those error paths (an
            // assembly) is then there before the count. Not with 0 or 1 free: a thread cannot start
            // then, and the warm-up is no place for the runtime to die of that.
            foreach (int free in (int[])[-1, 2, 3])
            {
                using Process sleep = StartSleep();
                string outcome = RunOne(operation, free, sleep.Id);
                if (free < 0 && !outcome.StartsWith("ok", StringComparison.Ordinal))
                {
                    say($"warm-up {operation} failed: {outcome}");
                    return 2;
                }

                Reap(sleep);
            }
        }

        // The console's reader opens a descriptor of its own (a pipe) when it is first made: before
        // the count, so that the count is the library's.
        TextReader input = Console.In;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Dictionary<int, string> fdsBefore = Descriptors.Snapshot();
        int threadsBefore = OwnThreads();
        say("warm");

        while (input.ReadLine() is string line && line != "quit")
        {
            string[] words = line.Split(' ');
            string outcome = RunOne(words[1], int.Parse(words[2], CultureInfo.InvariantCulture), int.Parse(words[3], CultureInfo.InvariantCulture));
            say($"result {words[0]} {outcome}");
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        int cgroupsLeft = s_cgroups.Count(Directory.Exists);
        Dictionary<int, string> fdsAfter = Descriptors.Snapshot();
        string added = string.Join(' ', fdsAfter.Where(fd => !fdsBefore.TryGetValue(fd.Key, out string? was) || was != fd.Value).Select(fd => $"new:{fd.Key}->{fd.Value.Replace(' ', '_')}"));
        say($"leaks fds-before={fdsBefore.Count} fds-after={fdsAfter.Count} {added} threads-before={threadsBefore} threads-after={OwnThreads()} cgroups-left={cgroupsLeft}");
        say("done");
        return 0;
    }

    /// <summary>Runs one operation, with only <paramref name="free"/> descriptors free (−1: no shortage); its outcome as one line.</summary>
    private static string RunOne(string operation, int free, int pid)
    {
        ProcessHandle? handle = null;
        SafePidfdHandle? pidfd = null;
        ProcessContainer? container = null;
        using var cancel = new CancellationTokenSource();
        try
        {
            // What the call needs besides itself, made while descriptors are free.
            switch (operation)
            {
                case "wait" or "stop" or "kill-tree-handle" or "stop-tree-handle":
                    handle = ProcessHandle.Open(pid);
                    break;
                case "kill-tree-pidfd":
                    pidfd = Os.PidfdOpen(pid);
                    break;
                case "container-start":
                    container = new ProcessContainer();
                    s_cgroups.Add(container.CgroupPath!);
                    break;
            }

            Task<string> call;
            Prime();
            Descriptors.Shortage? shortage = free < 0 ? null : Descriptors.LeaveFree(free);
            try
            {
                call = Start(operation, pid, handle, pidfd, ref container, cancel.Token);
                if (!call.Wait(Bound))
                {
                    return "hang";
                }
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                return Threw(e.InnerException!);
            }
            catch (Exception e)
            {
                return Threw(e);
            }
            finally
            {
                shortage?.Dispose();
            }

            return "ok " + call.Result;
        }
        finally
        {
            handle?.Dispose();
            pidfd?.Dispose();
            container?.Dispose();
        }
    }

    /// <summary>Starts the call; a wait is left pending (and cancelled once the shortage is over, by the caller's token).</summary>
    private static Task<string> Start(string operation, int pid, ProcessHandle? handle, SafePidfdHandle? pidfd, ref ProcessContainer? container, CancellationToken cancellationToken)
    {
        switch (operation)
        {
            case "open":
                using (var opened = ProcessHandle.Open(pid))
                {
                    return Task.FromResult($"opened {opened.Pid}");
                }

            case "wait":
                Task wait = handle!.WaitForExitAsync(cancellationToken);
                return wait.IsFaulted ? Task.FromException<string>(wait.Exception!.InnerException!) : Task.FromResult($"waiting ({wait.Status})");
            case "stop":
                return Describe(handle!.StopAsync(Steps, cancellationToken));
            case "kill-tree-handle":
                return Describe(handle!.KillTreeAsync(cancellationToken));
            case "kill-tree-pid":
                return Describe(ProcessTree.KillAsync(pid, cancellationToken));
            case "kill-tree-pidfd":
                return Describe(KillTreeThroughPidfdAsync(pidfd!, cancellationToken));
            case "stop-tree-handle":
                return Describe(handle!.StopTreeAsync(Steps, cancellationToken));
            case "stop-tree-pid":
                return Describe(ProcessTree.StopAsync(pid, Steps, cancellationToken));
            case "container-new":
                container = new ProcessContainer();
                s_cgroups.Add(container.CgroupPath!);
                return Task.FromResult($"made {container.CgroupPath}");
            case "container-start":
                var psi = new ProcessStartInfo("sleep", "600") { UseShellExecute = false };
                using (Process started = container!.Start(psi))
                {
                    return Task.FromResult($"started {started.Id}");
                }

            default:
                throw new ArgumentException($"unknown soak operation {operation}", nameof(operation));
        }
    }

    /// <summary>
    /// Starts thread-pool threads while descriptors are free, so that the continuations of the
    /// call find idle ones: the pool cannot start a thread during the shortage (its gate thread
    /// then dies of the OutOfMemoryException and takes the process with it).
    /// </summary>
    private static void Prime()
    {
        using var all = new Barrier(PoolThreads);
        Task.WaitAll([.. Enumerable.Range(0, PoolThreads).Select(_ => Task.Run(() => all.SignalAndWait(Bound)))]);
    }

    /// <summary>A tree kill from a pidfd the caller keeps: a handle over a duplicate, then its KillTreeAsync.</summary>
    private static async Task<TreeKillResult> KillTreeThroughPidfdAsync(SafePidfdHandle pidfd, CancellationToken cancellationToken)
    {
        using var handle = ProcessHandle.FromPidfd(pidfd);
        return await handle.KillTreeAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> Describe<T>(Task<T> call) where T : notnull
    {
        T result = await call.ConfigureAwait(false);
        return result switch
        {
            TreeKillResult kill => $"killed {string.Join(',', kill.KilledPids)}",
            TreeStopResult stop => $"exited={stop.Exited} step={stop.StepIndex} members={stop.MemberCount} killed={stop.KilledCount}",
            StopResult stop => $"exited={stop.Exited} step={stop.StepIndex}",
            _ => result.ToString() ?? string.Empty,
        };
    }

    private static string Threw(Exception e)
    {
        string errno = e switch
        {
            OsException os => os.Errno.ToString(CultureInfo.InvariantCulture),
            System.ComponentModel.Win32Exception win32 => win32.NativeErrorCode.ToString(CultureInfo.InvariantCulture),
            _ => "-",
        };
        return $"threw {e.GetType().FullName} errno={errno} {e.Message.ReplaceLineEndings(" ")}";
    }

    private static Process StartSleep()
    {
        var psi = new ProcessStartInfo("sleep", "600") { UseShellExecute = false };
        return Process.Start(psi)!;
    }

    private static void Reap(Process sleep)
    {
        if (!sleep.HasExited)
        {
            sleep.Kill();
        }

        sleep.WaitForExit();
    }

    /// <summary>Threads of this process other than the thread pool's workers, whose number the pool changes as it likes.</summary>
    private static int OwnThreads() => Directory.GetDirectories("/proc/self/task").Count(t =>
    {
        try
        {
            return !File.ReadAllText(Path.Combine(t, "comm")).StartsWith(".NET TP Worker", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    });
}
