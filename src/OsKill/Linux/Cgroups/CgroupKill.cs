using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// The kill of every member of a cgroup: cgroup.kill (Linux 5.14+), which the kernel applies to
/// every member and to any fork racing with it; on older kernels the cgroup is frozen
/// (cgroup.freeze, Linux 5.2+) and each member gets SIGKILL through a pidfd. Every member listed is
/// announced to the audit hooks (<c>os.kill</c>, SIGKILL) before any is killed.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class CgroupKill
{
    private readonly string _cgroupPath;
    private readonly string _procsPath;
    private bool _vetoed;

    internal CgroupKill(string cgroupPath)
    {
        _cgroupPath = cgroupPath;
        _procsPath = cgroupPath + "/cgroup.procs";
    }

    /// <summary>Whether an audit hook vetoed the last <see cref="Run"/> (by throwing): then nobody it listed (in that round) was killed.</summary>
    internal bool Vetoed => _vetoed;

    /// <summary>Sends SIGKILL to every member (cgroup.kill, or freeze and pidfds). Returns the pids it listed.</summary>
    internal List<int> Run(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _vetoed = false;
        var killed = new List<int>();
        if (File.Exists(_cgroupPath + "/cgroup.kill"))
        {
            // The kernel sends SIGKILL to every member, and to any child forked while it does, so
            // nothing is left whatever the members do meanwhile. The list is read just before.
            killed.AddRange(CgroupFiles.ReadPids(_procsPath));

            // Every member listed is announced before the write, which kills them all at once:
            // a hook's veto of any one kills nobody.
            KillAnnouncement.AnnounceAll(killed, Signal.SIGKILL, out _vetoed);

            CgroupFiles.WriteOrThrow(_cgroupPath + "/cgroup.kill", "1", "cannot kill the cgroup " + _cgroupPath);
            return killed;
        }

        // Before Linux 5.14: freeze, so that no member forks while we read the list and kill each
        // one through a pidfd; new children of a freezing cgroup are born frozen, and a fatal
        // signal still kills a frozen process. A member slow to freeze (uninterruptible sleep)
        // does not stop the kill: the rounds of KillEach list the container again until no new
        // member shows up.
        return CgroupFreeze.While(
            _cgroupPath,
            () =>
            {
                KillEach(killed);
                return killed;
            },
            cancellationToken);
    }

    /// <summary>Kernels before 5.14 have no cgroup.kill: SIGKILL each listed member through a pidfd, until a read of cgroup.procs shows no new one.</summary>
    private void KillEach(List<int> killed)
    {
        var seen = new HashSet<int>();
        while (true)
        {
            // The cgroup is frozen: the list cannot grow while the round announces it, then kills it.
            var round = CgroupFiles.ReadPids(_procsPath).Where(seen.Add).ToList();
            KillAnnouncement.AnnounceAll(round, Signal.SIGKILL, out _vetoed);

            bool any = false;
            foreach (int pid in round)
            {
                any = true;
                int fd = Libc.PidfdOpen(pid, 0);
                if (fd < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.ESRCH)
                    {
                        continue;
                    }

                    throw OsException.FromErrno(errno, "pidfd_open", $"cannot open a pidfd for pid {pid} in the cgroup {_cgroupPath}", pid, null);
                }

                using var pidfd = new SafePidfdHandle(fd, pid);
                int sent = Pidfd.Send(fd, pid, Signal.SIGKILL);
                if (sent == 0)
                {
                    killed.Add(pid);
                }
                else if (sent != Errno.ESRCH)
                {
                    throw OsException.FromErrno(sent, "pidfd_send_signal", OsException.Sending(Signal.SIGKILL, pidfd.ToString()) + " in the cgroup " + _cgroupPath, pid, Signal.SIGKILL);
                }
            }

            if (!any)
            {
                return;
            }
        }
    }
}
