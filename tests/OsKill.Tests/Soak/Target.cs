using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace OsKill.Tests.Soak;

/// <summary>
/// A process tree that one soak operation acts on: every member carries its own OSKILL_TREE marker
/// (<see cref="Trees"/>), so that survivors are found wherever they went, and disposing it kills
/// what is left. The root is the test host's child (a <see cref="Process"/>), so its pid cannot be
/// reused while the operation runs.
/// </summary>
internal sealed class Target(string kind, string marker, bool stable) : IAsyncDisposable
{
    /// <summary>Signals the trapper prints "got NAME" for; SIGWINCH (28) is the fence, above all of them.</summary>
    internal static readonly string[] Trapped = ["HUP", "USR1", "USR2", "TERM", "WINCH"];

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _lineArrived = new(0);
    private Task _pump = Task.CompletedTask;

    internal string Kind { get; } = kind;

    internal string Marker { get; } = marker;

    /// <summary>True when no member exits on its own (no forker churn): every member seen before an operation that sends nothing must still be alive after it.</summary>
    internal bool Stable { get; } = stable;

    internal Process Root { get; private set; } = null!;

    internal int Pid => Root.Id;

    /// <summary>The lines the root printed so far.</summary>
    internal IReadOnlyCollection<string> Lines => _lines;

    public override string ToString() => $"{Kind} {Pid}";

    /// <summary>
    /// A bash that prints "got NAME" for each of <see cref="Trapped"/> (bash runs pending traps in
    /// signal-number order, so SIGWINCH's line comes after any other's sent before it), with one
    /// `sleep` child; it exits when the sleep does.
    /// </summary>
    internal static Task<Target> TrapperAsync(Func<ProcessStartInfo, Process>? start = null)
    {
        var script = new StringBuilder();
        foreach (string name in Trapped)
        {
            script.Append($"trap 'echo got {name}' {name}; ");
        }

        script.Append("sleep 1000 & p=$!; echo ready; while wait $p; [ $? -gt 128 ]; do :; done");
        return StartAsync("trapper", stable: true, marker => Trees.Bash(marker, script.ToString()), "ready", start);
    }

    /// <summary>A static bash tree, <paramref name="width"/> subshells wide and <paramref name="depth"/> levels deep, of `sleep`s; the root traps SIGTERM when <paramref name="rootTrapsTerm"/>.</summary>
    internal static Task<Target> BashTreeAsync(int width, int depth, bool rootTrapsTerm, Func<ProcessStartInfo, Process>? start = null)
    {
        string Node(int level) => level == 0
            ? "sleep 1000"
            : "( " + string.Join(" & ", Enumerable.Repeat(Node(level - 1), width)) + " & wait )";
        // A root that traps SIGTERM outlives its children after a polite step: it waits on, at a
        // slow pace (a bare `wait` with no children left returns at once, and would spin).
        string children = string.Join(" & ", Enumerable.Repeat(Node(depth - 1), width));
        string script = rootTrapsTerm
            ? $"trap 'echo got TERM' TERM; {children} & echo ready; while :; do wait; sleep 0.2; done"
            : $"{children} & echo ready; wait";
        return StartAsync($"bash-tree {width}x{depth}{(rootTrapsTerm ? " trap" : string.Empty)}", stable: true, marker => Trees.Bash(marker, script), "ready", start);
    }

    /// <summary>
    /// The forker (<see cref="Trees.ForkingTree"/>): <paramref name="cap"/> members, each forking a
    /// short-lived child every <paramref name="churnMs"/> (0: never). Never stable: members that
    /// were napping when the cap was reached still fork once, a child that exits at once.
    /// </summary>
    internal static Task<Target> ForkerAsync(int cap, int growMs, int churnMs, Func<ProcessStartInfo, Process>? start = null) =>
        StartAsync($"forker {cap}/{growMs}/{churnMs}", stable: false, marker => Trees.ForkingTree(marker, cap, growMs, churnMs), "grown", start);

    /// <summary>bash with two sleeps and a member that escapes by setsid and a double fork (<see cref="Trees.EscapingBashTree"/>); the subshell between exits on its own.</summary>
    internal static Task<Target> EscapingAsync(Func<ProcessStartInfo, Process>? start = null) =>
        StartAsync("escaping", stable: false, Trees.EscapingBashTree, "ready", start);

    /// <summary>Members alive now (not zombies).</summary>
    internal List<Trees.Seen> Alive() => Trees.Alive(Marker);

    /// <summary>Waits for a line of the root that starts with <paramref name="prefix"/>; false if none came in time.</summary>
    internal async Task<bool> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_lines.Any(l => l.StartsWith(prefix, StringComparison.Ordinal)))
            {
                return true;
            }

            TimeSpan left = deadline - DateTime.UtcNow;
            if (_pump.IsCompleted || left <= TimeSpan.Zero)
            {
                return _lines.Any(l => l.StartsWith(prefix, StringComparison.Ordinal));
            }

            await _lineArrived.WaitAsync(left);
        }
    }

    /// <summary>Kills every member left (wherever it went), reaps the root and lets go of it.</summary>
    public async ValueTask DisposeAsync()
    {
        await Trees.CleanupAsync(Marker);
        if (Root is not null)
        {
            using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Root.WaitForExitAsync(reaped.Token);

            // The pump ends at EOF, once every holder of the pipe's write end has gone: the root,
            // and whatever it forked that inherited its stdout and is still on its way out. That
            // is cleanup, not a promise of the library (survivors are checked on their own): after
            // 30 s, close our end all the same.
            await Task.WhenAny(_pump, Task.Delay(TimeSpan.FromSeconds(30)));

            // Process.Dispose leaves a standard stream that was read through its property open
            // (until the collector finds it): close it here, or the leak check would count it.
            Root.StandardOutput.Dispose();
            Root.Dispose();
        }

        _lineArrived.Dispose();
    }

    private static async Task<Target> StartAsync(string kind, bool stable, Func<string, ProcessStartInfo> info, string readyPrefix, Func<ProcessStartInfo, Process>? start)
    {
        var target = new Target(kind, Trees.NewMarker(), stable);
        ProcessStartInfo psi = info(target.Marker);
        target.Root = start is null ? Process.Start(psi)! : start(psi);
        target._pump = target.PumpAsync();
        if (!await target.WaitForLineAsync(readyPrefix, StartLimit))
        {
            await target.DisposeAsync();
            throw new TimeoutException($"the soak's {kind} did not print \"{readyPrefix}\" within {StartLimit.TotalSeconds} s");
        }

        return target;
    }

    private async Task PumpAsync()
    {
        StreamReader output = Root.StandardOutput;
        while (await output.ReadLineAsync() is string line)
        {
            _lines.Enqueue(line);
            _lineArrived.Release();
        }

        _lineArrived.Release();
    }
}
