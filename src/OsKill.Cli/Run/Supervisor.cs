using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>One run of CMD on Linux, from its start to an empty container.</summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class Supervisor(RunOptions options, TextWriter stderr)
{
    private static readonly string[] s_setpriv = ["/usr/bin/setpriv", "/bin/setpriv"];
    private readonly Action<string>? _log = options.Verbose ? message => stderr.WriteLine($"{Rules.Name} run: {message}") : null;

    /// <summary>Runs CMD; returns oskill's exit status.</summary>
    internal int Run()
    {
        string? program = ProgramLookup.Find(options.Command[0], out int notRunnable, out string? reason);
        if (program is null)
        {
            stderr.WriteLine($"{Rules.Name} run: cannot run '{options.Command[0]}': {reason}");
            return notRunnable;
        }

        InheritedDispositions.ResetIgnoredByReexec(_log);
        if (Environment.ProcessId == 1)
        {
            return InitProcess.Run(_log);
        }

        // A runner that blocked every signal (the CI's second pass does) would leave oskill deaf to
        // the ones it forwards: unblock them on this thread, which then takes them.
        byte* empty = stackalloc byte[Native.SigSetBytes];
        _ = Native.SigEmptySet(empty);
        _ = Native.PthreadSigMask(Native.SigSetMask, empty, null);

        using IRunContainer container = CreateContainer();
        IReadOnlySet<int> dotnetChildren = Reaper.ChildrenNow();
        string[] prefix = container is FallbackRunContainer && s_setpriv.FirstOrDefault(File.Exists) is string setpriv
            ? [setpriv, "--pdeathsig", "KILL", "--"]
            : [];

        // posix_spawn on this (the main) thread: PR_SET_PDEATHSIG fires when the thread that
        // started the child ends, and the main thread ends only with oskill.
        HeldCommand held = Spawner.Start(program, options.Command, prefix);
        var waiter = CommandWaiter.Start(held.Pid);
        Task<int> exited = waiter.Exited;
        Terminal? terminal = null;
        try
        {
            container.Adopt(held.Pid);
            terminal = Terminal.IfForeground();
            terminal?.Give(held.Pid);
        }
        catch
        {
            held.Dispose(); // the holding shell exits 125 without running CMD
            exited.Wait();
            terminal?.Dispose();
            throw;
        }

        _log?.Invoke($"CMD is pid {held.Pid} in {container.Description}{(terminal is null ? string.Empty : ", in the terminal's foreground")}");
        try
        {
            return Supervise(container, held, waiter, terminal, dotnetChildren);
        }
        finally
        {
            terminal?.Dispose(); // whatever went wrong, the terminal goes back to oskill's group
        }
    }

    // From CMD's release to an empty container; returns oskill's exit status.
    private int Supervise(IRunContainer container, HeldCommand held, CommandWaiter waiter, Terminal? terminal, IReadOnlySet<int> dotnetChildren)
    {
        Task<int> exited = waiter.Exited;
        using Reaper? reaper = container is FallbackRunContainer ? Reaper.Start(held.Pid, dotnetChildren, _log) : null;
        using var forwarder = SignalForwarder.Start(options, held.Pid, container, waiter, _log);
        held.Release();

        bool timedOut = false;
        if (options.Timeout.Count > 0 && !StopChains.WaitFor(exited, options.Timeout[0].Delay))
        {
            timedOut = true;
            _log?.Invoke($"timeout after {options.Timeout[0].Delay.TotalMilliseconds:0} ms");
            container.StopAsync(StopChains.Timeout(options, Signal.SIGKILL, StopStep.SendSignal), options.KillMode, () => !exited.IsCompleted, _log).GetAwaiter().GetResult();
        }

        int status = exited.GetAwaiter().GetResult();
        _log?.Invoke($"CMD exited: {ExitText.Describe(status)}");
        terminal?.Dispose();
        if (!container.IsEmpty)
        {
            _log?.Invoke("CMD left members behind: stopping them");
            container.StopAsync(StopChains.Leftover(options, Signal.SIGKILL, StopStep.SendSignal), options.KillMode, () => false, _log).GetAwaiter().GetResult();
        }

        reaper?.ReapNow();
        return timedOut && !options.PreserveStatus ? RunCommand.TimedOut : ExitText.ShellStatus(status);
    }

    private IRunContainer CreateContainer()
    {
        string why;
        if (options.NoCgroup)
        {
            why = "--no-cgroup";
        }
        else if (!ProcessContainer.IsSupported)
        {
            why = "no cgroup v2 hierarchy is mounted";
        }
        else
        {
            try
            {
                return new CgroupRunContainer(new ProcessContainer());
            }
            catch (Exception e) when (e is UnauthorizedAccessException or PlatformNotSupportedException or OsException)
            {
                why = e.Message;
            }
        }

        if (Native.Prctl(Native.PrSetChildSubreaper, 1, 0, 0, 0) != 0)
        {
            throw new IOException("prctl(PR_SET_CHILD_SUBREAPER) failed");
        }

        _log?.Invoke($"no cgroup ({why}): CMD runs in its own process group, with oskill as its subreaper");
        return new FallbackRunContainer(Reaper.ChildrenNow());
    }
}
