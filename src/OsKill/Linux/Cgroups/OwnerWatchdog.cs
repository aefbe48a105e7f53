using System.Diagnostics;
using System.Runtime.Versioning;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// Binds a cgroup container to the process that made it: when the owner dies, in any way (kill -9
/// included), the container's members are killed and the cgroup removed, as Windows does for a job
/// object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE.
/// </summary>
/// <remarks>
/// <para>The kernel offers no such tie for a cgroup, so a watchdog keeps it: a small /bin/sh in a
/// session of its own, reparented away from the owner (setsid -f), that blocks reading a pipe
/// whose only write end the owner holds. However the owner ends, the kernel closes that end, the
/// read returns end-of-file, and the watchdog writes cgroup.kill (before Linux 5.14: freezes the
/// cgroup and SIGKILLs each member), waits until the cgroup is empty and removes it. On
/// <see cref="Release"/> (the container was disposed and is gone) the owner writes "release" first,
/// and the watchdog exits without doing anything.</para>
/// <para>The watchdog ignores every signal that can be ignored (a Ctrl+C or a hang-up aimed at the
/// owner's process group must not take it along), sits outside the container (a
/// <see cref="ProcessContainer.KillAsync"/> does not reach it) and outside the owner's process tree
/// (a tree kill of the owner does not reach it), and runs with an environment of its own. SIGKILL
/// aimed at the watchdog itself unbinds the container: nothing can prevent that.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class OwnerWatchdog : IDisposable
{
    /// <summary>$1 is the cgroup directory.</summary>
    internal const string Script =
        "trap '' HUP INT QUIT TERM PIPE USR1 USR2 ALRM TSTP TTIN TTOU; exec >/dev/null 2>&1; " +
        "read -r word; [ \"$word\" = release ] && exit 0; " +
        "if [ -e \"$1/cgroup.kill\" ]; then echo 1 >| \"$1/cgroup.kill\"; " +
        "else echo 1 >| \"$1/cgroup.freeze\"; while read -r pid; do kill -9 \"$pid\"; done < \"$1/cgroup.procs\"; echo 0 >| \"$1/cgroup.freeze\"; fi; " +
        "n=0; until rmdir \"$1\"; do n=$((n + 1)); [ $n -gt 400 ] && exit 1; sleep 0.05; done";

    private static readonly string[] s_setsid = ["/usr/bin/setsid", "/bin/setsid"];

    private readonly Process _starter;
    private readonly StreamWriter _lifeline;

    private OwnerWatchdog(Process starter)
    {
        _starter = starter;
        _lifeline = starter.StandardInput;
    }

    /// <summary>Starts the watchdog of the cgroup <paramref name="cgroupPath"/>.</summary>
    internal static OwnerWatchdog Start(string cgroupPath, bool shellTakesP)
    {
        string? setsid = s_setsid.FirstOrDefault(File.Exists);
        var psi = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (setsid is not null)
        {
            psi.ArgumentList.Add("-f");
            psi.ArgumentList.Add("/bin/sh");
        }

        if (shellTakesP)
        {
            psi.ArgumentList.Add("-p");
        }

        foreach (string a in new[] { "-c", Script, "oskill-watchdog", cgroupPath })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        Process starter = Process.Start(psi)
            ?? throw new InvalidOperationException($"Process.Start returned no process for the watchdog of the cgroup {cgroupPath}.");
        return new OwnerWatchdog(starter);
    }

    /// <summary>Tells the watchdog that the container is gone, so that it exits without killing anything, and lets go of it.</summary>
    internal void Release()
    {
        try
        {
            _lifeline.WriteLine("release");
            _lifeline.Flush();
        }
        catch (IOException)
        {
            // EPIPE: the watchdog is gone already (someone killed it). The container it watched
            // has just been removed, so there is nothing left for it to do.
        }

        Dispose();
    }

    /// <summary>Closes our end of the lifeline without a word: the watchdog then kills the container, as if we had died.</summary>
    public void Dispose()
    {
        try
        {
            _lifeline.Dispose();
        }
        catch (IOException)
        {
        }

        _starter.Dispose();
    }
}
