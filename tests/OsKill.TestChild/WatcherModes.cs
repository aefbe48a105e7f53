using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace OsKill.TestChild;

/// <summary>
/// Modes that do to the library's process-wide pidfd exit watcher what a test host cannot do to
/// itself: lower RLIMIT_NOFILE, run out of descriptors, replace the watcher's epoll descriptor.
/// Each prints "ready PID", then "key value" lines, then "done". The processes waited for are
/// `sleep 600`s that this process starts and kills.
///   watch-many N   soft RLIMIT_NOFILE some 256 above the descriptors in use, then N waits on each of
///                  two processes (half of the second's with a token that is then cancelled);
///                  kill them one after the other. Reports how many waits ended how, and the CPU
///                  time of the watcher thread while they were pending.
///   watch-emfile [FREE]
///                  fill every descriptor below a lowered RLIMIT_NOFILE but FREE (default 0), so
///                  that the first wait (which makes the watcher) fails; free them, and wait again.
///   watch-broken   two pending waits; dup2 /dev/null over the watcher's epoll descriptor; the first
///                  process exits (its wait completes: epoll_wait still holds the old instance),
///                  then the watcher's next epoll_wait fails. Reports how the second wait ended, and
///                  whether a new wait works.
/// </summary>
internal static partial class WatcherModes
{
    private const string WatcherComm = "OsKill pidfd ex"; // the thread name, cut to 15 bytes by the kernel
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    internal static int WatchMany(int perProcess)
    {
        return WithSleeps(2, (handles, say) =>
        {
            ProcessHandle a = handles[0], b = handles[1];

            // Headroom for the runtime, which holds two descriptors for each assembly it loads:
            // with only 16 numbers free above the highest descriptor, a child started with a compact
            // descriptor table (as under CI) ran out while loading one and died ("Out of memory.").
            // The limit stays far below the number of waits, which is what this mode is about.
            Descriptors.LoadEverythingReferenced();
            int limit = Descriptors.HighestFd() + 256;
            Descriptors.SetSoftFileLimit((nuint)limit);
            say("limit", limit);

            using var cancel = new CancellationTokenSource();
            var aWaits = new Task[perProcess];
            var bWaits = new Task[perProcess];
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < perProcess; i++)
            {
                aWaits[i] = a.WaitForExitAsync();
                bWaits[i] = b.WaitForExitAsync(i % 2 == 0 ? cancel.Token : CancellationToken.None);
            }

            say("add-ms", clock.ElapsedMilliseconds);
            say("epoll-registrations", EpollRegistrations(a));

            // The watcher thread's CPU time over half a second in which nothing happens.
            Thread.Sleep(200);
            long before = WatcherTicks();
            Thread.Sleep(500);
            say("idle-ticks", WatcherTicks() - before);

            cancel.Cancel();
            Task[] cancelled = bWaits.Where((_, i) => i % 2 == 0).ToArray();
            say("cancelled", WaitAll(cancelled).Count(t => t.IsCanceled));

            a.Signal(Signal.SIGKILL);
            say("a-completed", WaitAll(aWaits).Count(t => t.IsCompletedSuccessfully));
            Task[] bRest = bWaits.Where((_, i) => i % 2 == 1).ToArray();
            say("b-pending", bRest.Count(t => !t.IsCompleted));

            b.Signal(Signal.SIGKILL);
            say("b-completed", WaitAll(bRest).Count(t => t.IsCompletedSuccessfully));
            say("epoll-registrations-left", EpollRegistrations(null));
            say("watcher-threads", SettledWatcherThreads());
            say("watcher-ticks", WatcherTicks());
        });
    }

    internal static int WatchEmfile(int free)
    {
        return WithSleeps(1, (handles, say) =>
        {
            ProcessHandle handle = handles[0];
            Descriptors.LoadEverythingReferenced();

            // Every descriptor number below the limit taken but FREE: any more gives EMFILE.
            Descriptors.Shortage shortage = Descriptors.LeaveFree(free);
            Task? first = null;
            Exception? firstThrown = null;
            try
            {
                first = handle.WaitForExitAsync();
            }
            catch (Exception e)
            {
                firstThrown = e;
            }

            shortage.Dispose();
            say("fill-errno", shortage.FillErrno);
            say("target", handle.Pid);
            say("first-call", firstThrown is null ? "returned" : "threw");
            Exception? failure = firstThrown ?? (first!.IsFaulted ? first.Exception!.InnerException : null);
            say("first", failure is null ? $"no failure ({first!.Status})" : Describe(failure));

            Task second = handle.WaitForExitAsync();
            say("second-pending", !second.IsCompleted);
            handle.Signal(Signal.SIGKILL);
            say("second", Outcome(second));
            say("watcher-threads", SettledWatcherThreads());
        });
    }

    internal static int WatchBroken()
    {
        return WithSleeps(2, (handles, say) =>
        {
            ProcessHandle a = handles[0], b = handles[1];
            Task aWait = a.WaitForExitAsync();
            Task bWait = b.WaitForExitAsync();
            int? epollFd = EpollFdWatching(a);
            say("epoll-found", epollFd is not null);
            if (epollFd is not int epfd)
            {
                return;
            }

            using Microsoft.Win32.SafeHandles.SafeFileHandle devNull = File.OpenHandle("/dev/null");
            if (Dup2((int)devNull.DangerousGetHandle(), epfd) < 0)
            {
                say("dup2-errno", Marshal.GetLastPInvokeError());
                return;
            }

            a.Signal(Signal.SIGKILL);
            say("a", Outcome(aWait));
            say("b-first", Outcome(bWait));
            say("epoll-fd-now", Readlink(epfd) ?? "(none)");

            // The failed watcher's thread ends; a new wait makes a new watcher.
            Task second = b.WaitForExitAsync();
            say("b-second-pending", !second.IsCompleted);
            say("watcher-threads", SettledWatcherThreads());
            b.Signal(Signal.SIGKILL);
            say("b-second", Outcome(second));
        });
    }

    /// <summary>
    /// Starts <paramref name="count"/> `sleep 600`s, opens a handle for each, prints "ready", runs
    /// the scenario, and kills what is left; "done" ends the report.
    /// </summary>
    private static int WithSleeps(int count, Action<ProcessHandle[], Action<string, object>> scenario)
    {
        var sleeps = new List<Process>();
        var handles = new List<ProcessHandle>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var psi = new ProcessStartInfo("sleep", "600") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
                Process sleep = Process.Start(psi)!;
                sleeps.Add(sleep);
                handles.Add(ProcessHandle.FromProcess(sleep));
            }

            Say($"ready {Environment.ProcessId}");
            scenario([.. handles], (key, value) => Say($"{key} {Convert.ToString(value, CultureInfo.InvariantCulture)}"));
            Say("done");
            return 0;
        }
        finally
        {
            foreach (Process sleep in sleeps)
            {
                if (!sleep.HasExited)
                {
                    sleep.Kill();
                }

                sleep.WaitForExit();
                sleep.Dispose();
            }

            foreach (ProcessHandle handle in handles)
            {
                handle.Dispose();
            }
        }
    }

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    private static Task[] WaitAll(Task[] tasks)
    {
        try
        {
            Task.WaitAll(tasks, Bound);
        }
        catch (AggregateException)
        {
            // Cancelled or failed waits: the caller counts them by status.
        }

        return tasks;
    }

    private static string Outcome(Task task)
    {
        try
        {
            return task.Wait(Bound) ? "ok" : "still pending";
        }
        catch (AggregateException e)
        {
            return Describe(e.InnerException!);
        }
    }

    internal static string Describe(Exception e) => e is OsException os
        ? $"OsException errno={os.Errno} op={os.Operation} message={os.Message}"
        : $"{e.GetType().Name} message={e.Message}";

    private static string? Readlink(int fd) => new FileInfo($"/proc/self/fd/{fd}").LinkTarget;

    /// <summary>The eventpoll descriptor of this process whose fdinfo lists the handle's pidfd: the watcher's.</summary>
    private static int? EpollFdWatching(ProcessHandle handle)
    {
        string target = $"tfd: {((SafePidfdHandle)handle.SafeHandle).FileDescriptor} ";
        foreach (string path in Directory.GetFiles("/proc/self/fd"))
        {
            int fd = int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture);
            try
            {
                if (Readlink(fd) == "anon_inode:[eventpoll]" &&
                    File.ReadLines($"/proc/self/fdinfo/{fd}").Any(l => System.Text.RegularExpressions.Regex.Replace(l, @"\s+", " ").StartsWith(target, StringComparison.Ordinal)))
                {
                    return fd;
                }
            }
            catch (IOException)
            {
                // Closed since the listing.
            }
        }

        return null;
    }

    private static int? s_watcherEpollFd;

    /// <summary>
    /// How many descriptors the watcher's epoll instance has registered: found through
    /// <paramref name="pending"/>'s pidfd the first time, then remembered. "none" without epoll.
    /// </summary>
    private static string EpollRegistrations(ProcessHandle? pending)
    {
        if (pending is not null)
        {
            s_watcherEpollFd = EpollFdWatching(pending);
        }

        return s_watcherEpollFd is int fd
            ? File.ReadLines($"/proc/self/fdinfo/{fd}").Count(l => l.StartsWith("tfd:", StringComparison.Ordinal)).ToString(CultureInfo.InvariantCulture)
            : "none";
    }

    private static IEnumerable<string> WatcherTasks() =>
        Directory.GetDirectories("/proc/self/task").Where(t =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(t, "comm")).TrimEnd('\n') == WatcherComm;
            }
            catch (IOException)
            {
                return false; // the thread has ended
            }
        });

    private static int WatcherThreads() => WatcherTasks().Count();

    /// <summary>
    /// How many threads carry the watcher's name once no more than one does, or after
    /// <see cref="Bound"/>. A thread started from the watcher's thread inherits its name until the
    /// runtime names it: completing a wait queues work, and the thread pool starts its threads (the
    /// ".NET TP Gate" thread, seen here) from the thread that queues. On a busy machine a count
    /// taken at once saw two; a second watcher that stays is what the count is for.
    /// </summary>
    private static int SettledWatcherThreads()
    {
        var clock = Stopwatch.StartNew();
        int count;
        while ((count = WatcherThreads()) > 1 && clock.Elapsed < Bound)
        {
            Thread.Sleep(20);
        }

        return count;
    }

    /// <summary>utime + stime, in clock ticks, of every thread named like the watcher.</summary>
    private static long WatcherTicks()
    {
        long ticks = 0;
        foreach (string task in WatcherTasks())
        {
            string stat = File.ReadAllText(Path.Combine(task, "stat"));
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }

        return ticks;
    }

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int fd, int target);
}
