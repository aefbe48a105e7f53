using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace OsKill.Tests.Soak;

/// <summary>
/// What the soak's audit hook does during one operation: record every os.kill event, check that
/// it is for a process of the operation's own tree, and veto (throw) the Nth event of one signal.
/// Hooks are process-wide and cannot be removed, so one hook is added, once, and it consults the
/// plan of the operation whose async flow raised the event (an <see cref="AsyncLocal{T}"/>).
/// Events raised outside any plan (other tests, callbacks that do not flow the context) pass.
/// </summary>
internal sealed class VetoPlan
{
    private static readonly AsyncLocal<VetoPlan?> s_current = new();
    private static readonly Lazy<bool> s_hook = new(() => Audit.AddHook(OnEvent), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentQueue<string> _foreign = new();
    private int _matches;
    private SoakVetoException? _fired;
    private string[] _beforeVeto = [];

    /// <summary>When the plan was made, in clock ticks since boot (as /proc/PID/stat's start time).</summary>
    private readonly ulong _since;

    /// <param name="marker">The OSKILL_TREE marker of the processes the operation may signal; null to check nothing.</param>
    /// <param name="signal">The signal to veto; null to veto nothing.</param>
    /// <param name="nth">Which event of that signal to veto (1 = the first).</param>
    internal VetoPlan(string? marker, int? signal, int nth)
    {
        _since = BootTicks();
        Marker = marker;
        Signal = signal;
        Nth = nth;
    }

    internal string? Marker { get; }

    internal int? Signal { get; }

    internal int Nth { get; }

    /// <summary>The exception the hook threw, once it has vetoed an event.</summary>
    internal SoakVetoException? Fired => Volatile.Read(ref _fired);

    /// <summary>The os.kill events raised before the vetoed one, as "target:signal".</summary>
    internal IReadOnlyList<string> BeforeVeto => Volatile.Read(ref _beforeVeto);

    /// <summary>Every os.kill event seen, as "target:signal".</summary>
    internal IReadOnlyCollection<string> Events => _events;

    /// <summary>Events for a process that did not carry the marker (that was not the operation's to signal).</summary>
    internal IReadOnlyCollection<string> Foreign => _foreign;

    /// <summary>Adds the hook, once per process.</summary>
    internal static void Install()
    {
        if (!s_hook.Value)
        {
            throw new InvalidOperationException("Audit.AddHook refused the soak's hook: a hook already present vetoed sys.addaudithook.");
        }
    }

    /// <summary>Makes <paramref name="plan"/> the plan of the calling async flow (and of what it starts from now on).</summary>
    internal static void Use(VetoPlan? plan) => s_current.Value = plan;

    public override string ToString() => Signal is int s ? $"veto {Signal}#{Nth}" : "no veto";

    private static void OnEvent(string name, object?[] args)
    {
        if (name == "os.kill" && s_current.Value is VetoPlan plan && args is [object target, int sig])
        {
            plan.Seen(target, sig);
        }
    }

    private void Seen(object target, int sig)
    {
        string[] before = [.. _events];
        _events.Enqueue($"{target}:{sig}");
        if (target is int pid && Marker is not null && IsForeign(pid, Marker, _since) is string who)
        {
            _foreign.Enqueue($"os.kill({pid}, {sig}) of {who}");
        }

        if (Signal == sig && Interlocked.Increment(ref _matches) == Nth)
        {
            var veto = new SoakVetoException($"soak veto of os.kill({target}, {sig}), event {Nth} of signal {sig}");
            Volatile.Write(ref _beforeVeto, before);
            Volatile.Write(ref _fired, veto);
            throw veto;
        }
    }

    /// <summary>
    /// What pid is (its stat line, for the report) when it names a process that was there before
    /// the operation began and has no OSKILL_TREE=marker; null otherwise. A pid that is gone, or names a process born since (a member forked
    /// during the call carries the marker; anything else got a pid that a member left, and pids
    /// wrap quickly on a busy machine), cannot be judged.
    /// </summary>
    /// <summary>PF_EXITING in the flags of /proc/PID/stat: the process is exiting.</summary>
    private const uint PfExiting = 0x4;

    private static string? IsForeign(int pid, string marker, ulong since)
    {
        byte[] environ;
        string stat;
        try
        {
            environ = File.ReadAllBytes($"/proc/{pid}/environ");
            stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ulong started = ulong.Parse(fields[19], CultureInfo.InvariantCulture);
            uint flags = uint.Parse(fields[6], CultureInfo.InvariantCulture);
            if (started >= since || (flags & PfExiting) != 0)
            {
                // Born since, or on its way out: an exiting process gives up its memory, and a read
                // of its environment stops short (seen: the first 512 bytes, without the marker,
                // of a member that a signal was ending, already reparented to init).
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        byte[] needle = Encoding.ASCII.GetBytes($"{Trees.MarkerVariable}={marker}\0");
        int at = environ.AsSpan().IndexOf(needle);
        bool foreign = environ.Length > 0 && !(at >= 0 && (at == 0 || environ[at - 1] == 0));

        // Who it is, to explain the finding: its stat line (name, state, parent, start time), the
        // operation's start, and the size of its environment.
        return foreign ? $"[stat: {stat.Trim()[..Math.Min(stat.Trim().Length, 160)]}; operation began at tick {since}; environ {environ.Length} bytes]" : null;
    }

    /// <summary>Clock ticks (1/100 s) since boot, from /proc/uptime, a tick early.</summary>
    private static ulong BootTicks()
    {
        string uptime = File.ReadAllText("/proc/uptime");
        return (ulong)(double.Parse(uptime[..uptime.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture) * 100) - 1;
    }
}

/// <summary>What the soak's hook throws to veto an event; the operation must pass this very exception on.</summary>
internal sealed class SoakVetoException(string message) : Exception(message);
