namespace OsKill.Cli.Run;

/// <summary>Which processes a forwarded signal reaches.</summary>
internal enum ForwardTarget
{
    /// <summary>CMD's own process (its pid).</summary>
    Main,

    /// <summary>CMD's process group, kill(-pgid): CMD runs in a group of its own.</summary>
    Group,

    /// <summary>Every member of the container (ProcessContainer.Signal; in the fallback mode, every descendant of oskill).</summary>
    All,
}

/// <summary>One step of a stop chain: after <see cref="Delay"/> (from the previous step), send <see cref="Signal"/>.</summary>
internal readonly record struct ChainStep(TimeSpan Delay, int Signal);

/// <summary>What <c>oskill run</c> was asked for.</summary>
internal sealed record RunOptions
{
    private static int[]? s_forwarded;

    /// <summary>
    /// The signals oskill run forwards to CMD (POSIX; made on first use, because Windows has no
    /// SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 or SIGWINCH and the names throw there).
    /// </summary>
    internal static int[] ForwardedSignals => s_forwarded ??=
        [Signal.SIGINT, Signal.SIGTERM, Signal.SIGHUP, Signal.SIGQUIT, Signal.SIGUSR1, Signal.SIGUSR2, Signal.SIGWINCH];

    /// <summary>CMD and its arguments; CMD is never empty.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The <c>--timeout</c> chain; empty when there is no timeout.</summary>
    public IReadOnlyList<ChainStep> Timeout { get; init; } = [];

    /// <summary>The polite signal of the stop chain that leftovers get (<c>-s</c>, default TERM).</summary>
    public int PoliteSignal { get; init; } = Signal.SIGTERM;

    /// <summary>How long the polite signal of a stop is given before KILL (<c>--grace</c>).</summary>
    public TimeSpan Grace { get; init; } = StopOptions.DefaultGracePeriod;

    /// <summary>Which members the polite steps reach (<c>--kill-mode</c>).</summary>
    public ContainerKillMode KillMode { get; init; } = ContainerKillMode.ControlGroup;

    /// <summary>Where forwarded signals go (<c>--forward-to</c>).</summary>
    public ForwardTarget ForwardTo { get; init; } = ForwardTarget.Main;

    /// <summary>The rewrite map (<c>-r S:R</c>): a received signal S is forwarded as R; R = 0 drops it.</summary>
    public IReadOnlyDictionary<int, int> Rewrites { get; init; } = new Dictionary<int, int>();

    /// <summary>Keep CMD's status when the timeout fired, instead of 124.</summary>
    public bool PreserveStatus { get; init; }

    /// <summary>Never make a cgroup: CMD's own process group, with oskill as subreaper (<c>--no-cgroup</c>).</summary>
    public bool NoCgroup { get; init; }

    /// <summary>Log forwarded signals and stop steps on stderr.</summary>
    public bool Verbose { get; init; }
}
