namespace OsKill.Extensions.Hosting.Tests.Infrastructure;

/// <summary>The test children's scripts: each prints "ready" once its signal dispositions are set.</summary>
public static class Children
{
    /// <summary>sh that exits 0 on SIGTERM (its sleep dies of the signal too, or of the trap's exit).</summary>
    public const string Graceful = "trap 'exit 0' TERM; echo ready; while :; do sleep 1 & wait $!; done";

    /// <summary>python3 that prints "got SIG..." for SIGTERM and SIGINT and runs on: only SIGKILL ends it.</summary>
    public const string Ignorer =
        "import signal, sys, time\n" +
        "def got(s, f): print('got ' + signal.Signals(s).name, flush=True)\n" +
        "signal.signal(signal.SIGTERM, got)\n" +
        "signal.signal(signal.SIGINT, got)\n" +
        "print('ready', flush=True)\n" +
        "while True: time.sleep(1)\n";

    /// <summary>
    /// bash that double-forks: a subshell starts `setsid sleep` in the background and exits, so
    /// that sleep is reparented away in a session of its own; prints "grandchild PID", then
    /// "ready", and becomes a sleep itself.
    /// </summary>
    public const string DoubleForker = "(setsid sleep 1000 & echo \"grandchild $!\"); echo ready; exec sleep 1000";

    /// <summary>sh that just sleeps (a plain sibling).</summary>
    public const string Sleeper = "echo ready; exec sleep 1000";
}
