using System.Diagnostics;

namespace OsKill.WindowsTests;

/// <summary>The child modes that make and use process containers.</summary>
internal static partial class ChildModes
{
    private static int ContainerAddSelf(string report)
    {
        Write(report, $"ready {Environment.ProcessId}");
        using (var container = new ProcessContainer())
        {
            TryAdd(report, "pid", () => container.Add(Environment.ProcessId));
            TryAdd(report, "handle", () =>
            {
                using var self = Process.GetCurrentProcess();
                container.Add(self);
            });
            Write(report, $"members: {string.Join(' ', container.GetProcessIds())}");
            Write(report, "disposing");
        }

        Write(report, "done");
        return 0;
    }

    private static void TryAdd(string report, string how, Action add)
    {
        try
        {
            add();
            Write(report, $"accepted {how}");
        }
        catch (Exception e)
        {
            Write(report, $"refused {how}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static int ContainerOwner(string report, bool contain)
    {
        using ProcessContainer? container = contain ? new ProcessContainer() : null;
        Process Start(params string[] args) => container is null ? StartSelf(args) : container.Start(SelfStartInfo(args));

        string sleepReport = report + ".sleep";
        using Process sleeper = Start("sleep", sleepReport);
        (int middlePid, string? grandchild) = Orphan(report, Start);
        if (grandchild is null)
        {
            return 13;
        }

        if (WaitForLine(sleepReport, $"ready {sleeper.Id}", TimeSpan.FromSeconds(60)) is null)
        {
            Write(report, $"the sleeper {sleeper.Id} never became ready");
            return 13;
        }

        string members = container is null ? "none" : string.Join(',', container.GetProcessIds());
        Write(report, $"ready {Environment.ProcessId} sleeper {sleeper.Id} middle {middlePid} {grandchild} members {members}");
        Thread.Sleep(TimeSpan.FromSeconds(60));
        return 0;
    }
}
