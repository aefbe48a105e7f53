using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>What CMD runs in: a cgroup (<see cref="CgroupRunContainer"/>) or, without one, oskill's descendants (<see cref="FallbackRunContainer"/>).</summary>
[SupportedOSPlatform("linux")]
internal interface IRunContainer : IDisposable
{
    /// <summary>For -v: what the container is.</summary>
    string Description { get; }

    /// <summary>Takes CMD in, while it is held before its exec; it becomes the main process.</summary>
    void Adopt(int pid);

    /// <summary>Sends <paramref name="sig"/> to every member; returns the pids reached.</summary>
    IReadOnlyList<int> Signal(int sig);

    /// <summary>
    /// Runs the stop chain over the members, in <paramref name="mode"/>, and returns only when the
    /// container is empty (a chain that leaves members is followed by KILL). Each step and what it
    /// ended goes to <paramref name="log"/>.
    /// </summary>
    Task StopAsync(StopOptions options, ContainerKillMode mode, Func<bool> mainRunning, Action<string>? log);

    /// <summary>Whether any member is left.</summary>
    bool IsEmpty { get; }
}
