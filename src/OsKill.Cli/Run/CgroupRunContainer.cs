using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>CMD in the library's <see cref="ProcessContainer"/>: a cgroup bound to oskill's life by its watchdog.</summary>
[SupportedOSPlatform("linux")]
internal sealed class CgroupRunContainer(ProcessContainer container) : IRunContainer
{
    public string Description => $"cgroup {container.CgroupPath}";

    public bool IsEmpty => container.GetProcessIds().Count == 0;

    public void Adopt(int pid) => container.Add(pid);

    public IReadOnlyList<int> Signal(int sig) => container.Signal(sig);

    public async Task StopAsync(StopOptions options, ContainerKillMode mode, Func<bool> mainRunning, Action<string>? log)
    {
        StopChains.LogSteps(options, mode, log);
        ContainerStopResult result = await container.StopAsync(options, mode);
        StopChains.LogResult(result, log);

        if (!result.Exited)
        {
            TreeKillResult killed = await container.KillAsync();
            log?.Invoke($"stop: members were left, killed {killed.KilledCount} with cgroup.kill");
        }
    }

    public void Dispose() => container.Dispose();
}
