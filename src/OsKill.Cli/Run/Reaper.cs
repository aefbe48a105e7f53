using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>
/// Reaps the zombies that become oskill's children when it is a subreaper (the fallback mode): orphans of CMD's
/// tree. .NET's own SIGCHLD handling reaps only the children its Process started, and it ends the
/// process (Environment.FailFast) when one of those was reaped by someone else, so this reaper never
/// waits for "any child": it reads /proc, and reaps by pid only the zombies that are its children
/// and neither CMD (whose status <see cref="CommandWaiter"/> takes) nor one of the children that
/// existed before CMD was started (the container's watchdog starter, which .NET reaps).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class Reaper : IDisposable
{
    private readonly int _main;
    private readonly IReadOnlySet<int> _dotnetChildren;
    private readonly Action<string>? _log;
    private readonly object _gate = new();
    private PosixSignalRegistration? _registration;
    private Timer? _timer;
    private int _reaped;

    private Reaper(int main, IReadOnlySet<int> dotnetChildren, Action<string>? log)
    {
        _main = main;
        _dotnetChildren = dotnetChildren;
        _log = log;
    }

    /// <summary>How many orphans it reaped.</summary>
    public int Reaped => Volatile.Read(ref _reaped);

    /// <summary>oskill's children now: the ones .NET may have started, taken before CMD is.</summary>
    internal static HashSet<int> ChildrenNow() =>
        [.. ProcTable.Read().Where(e => e.ParentPid == Environment.ProcessId).Select(e => e.Pid)];

    /// <summary>Starts reaping: at every SIGCHLD, and once a second in case one was merged with another.</summary>
    internal static Reaper Start(int main, IReadOnlySet<int> dotnetChildren, Action<string>? log)
    {
        var reaper = new Reaper(main, dotnetChildren, log);
        reaper._registration = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => reaper.ReapNow());
        reaper._timer = new Timer(_ => reaper.ReapNow(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        reaper.ReapNow();
        return reaper;
    }

    /// <summary>Reaps every zombie child of oskill that is its to reap.</summary>
    internal void ReapNow()
    {
        lock (_gate)
        {
            int self = Environment.ProcessId;
            foreach (ProcEntry e in ProcTable.Read())
            {
                if (e.ParentPid != self || e.State != 'Z' || e.Pid == _main || _dotnetChildren.Contains(e.Pid))
                {
                    continue;
                }

                if (Native.WaitPid(e.Pid, out int status, Native.WNoHang) == e.Pid)
                {
                    Interlocked.Increment(ref _reaped);
                    _log?.Invoke($"reaped orphan {e.Pid} ({ExitText.Describe(status)})");
                }
            }
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _registration?.Dispose();
    }
}
