namespace OsKill.Extensions.Hosting;

/// <summary>One child process of the host: what to run, and how to stop it. Bindable from configuration.</summary>
public sealed class ChildProcessOptions
{
    /// <summary>The program to run (a path, or a name found on PATH).</summary>
    public string FileName { get; set; } = string.Empty;

    /// <summary>Its arguments, one per element (no shell quoting).</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>Its working directory; null for the host's.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Variables added to the host's environment, or replacing its values.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The polite signal of the stop (by name or number, as <see cref="Signal.Parse"/> reads it);
    /// null for the platform's default (SIGTERM; Ctrl+C on Windows). On Windows only CTRL_C_EVENT
    /// and CTRL_BREAK_EVENT are accepted: any other number there ends the process at once.
    /// </summary>
    public string? StopSignal { get; set; }

    /// <summary>
    /// How long the child gets after the polite signal before it is killed, cut to what remains of
    /// the host's shutdown timeout (see <see cref="ChildProcessHostOptions.KillReserve"/>); 5 s by default.
    /// A child that exits on its own gets it too, for what it left in its container.
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = StopOptions.DefaultGracePeriod;

    /// <summary>Which members of the child's container the polite signal reaches.</summary>
    public ContainerKillMode KillMode { get; set; } = ContainerKillMode.ControlGroup;

    /// <summary>What happens when the child exits on its own.</summary>
    public ExitPolicy ExitPolicy { get; set; } = ExitPolicy.StopHost;

    /// <summary>With <see cref="ExitPolicy.Restart"/>: how many restarts, at most, before the host is stopped.</summary>
    public int MaxRestarts { get; set; } = 5;

    /// <summary>With <see cref="ExitPolicy.Restart"/>: the first backoff, doubled after each restart up to <see cref="MaxRestartBackoff"/>.</summary>
    public TimeSpan RestartBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>With <see cref="ExitPolicy.Restart"/>: the longest backoff; 1 minute by default.</summary>
    public TimeSpan MaxRestartBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether the child's standard output and error are read and logged, line by line, under the
    /// category <c>OsKill.Child.&lt;name&gt;</c> (output at Information, error at <see cref="StandardErrorLogLevel"/>).
    /// When false the child writes to the host's own streams (on Windows, where each child has a
    /// console of its own, through the host, which copies them there as they are).
    /// </summary>
    public bool LogOutput { get; set; } = true;

    /// <summary>The level of the child's standard error lines when <see cref="LogOutput"/> is true; Warning by default.</summary>
    public Microsoft.Extensions.Logging.LogLevel StandardErrorLogLevel { get; set; } = Microsoft.Extensions.Logging.LogLevel.Warning;
}
