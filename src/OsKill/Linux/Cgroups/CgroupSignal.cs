using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;
using OsKill.Interop;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// One signal to every member of a cgroup (the polite steps of a container stop, and a forwarded
/// signal): the cgroup is frozen (<see cref="CgroupFreeze"/>), so that nothing forks or exits by
/// itself meanwhile, its members are listed, announced (<c>os.kill</c>), and each is sent the signal
/// through a pidfd; then it thaws and the members get it.
/// </summary>
/// <remarks>
/// No pid outside the cgroup is ever signalled: the pidfds are opened from one listing of
/// cgroup.procs and a member is sent the signal only if a second listing, read after its pidfd was
/// opened, still names its pid. A pidfd whose process is still alive when the signal goes had
/// that pid all along, so the second listing was about it. (Only a member that moves itself out of
/// the cgroup in between, which needs write access to another cgroup, could be reached outside.)
/// Descriptors are opened a batch at a time, so a thousand members need no thousand descriptors.
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class CgroupSignal
{
    private const int Batch = 128;

    /// <summary>Sends <paramref name="signal"/> to every member; returns the pids it reached.</summary>
    /// <exception cref="OsException">EINVAL for a signal that is not one; a listing, freeze or pidfd call that failed (EMFILE), naming the pid and the signal.</exception>
    /// <exception cref="Exception">Whatever an audit hook throws to veto the event of a member: then nobody was sent anything.</exception>
    internal static List<int> Send(string cgroupPath, int signal, CancellationToken cancellationToken)
    {
        if (signal < 0 || signal >= OsKill.Signal.NSIG)
        {
            throw OsException.FromErrno(Errno.EINVAL, "pidfd_send_signal", OsException.Sending(signal, "the members of the cgroup " + cgroupPath), null, signal);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return CgroupFreeze.IsSupported(cgroupPath)
            ? CgroupFreeze.While(cgroupPath, () => Round(cgroupPath, signal), cancellationToken)
            : Round(cgroupPath, signal);
    }

    private static List<int> Round(string cgroupPath, int signal)
    {
        string procs = cgroupPath + "/cgroup.procs";
        List<int> listed = CgroupFiles.ReadPids(procs);
        KillAnnouncement.AnnounceAll(listed, signal, out _);
        var reached = new List<int>(listed.Count);
        for (int start = 0; start < listed.Count; start += Batch)
        {
            SendBatch(cgroupPath, procs, listed.GetRange(start, Math.Min(Batch, listed.Count - start)), signal, reached);
        }

        return reached;
    }

    private static void SendBatch(string cgroupPath, string procs, List<int> pids, int signal, List<int> reached)
    {
        var opened = new List<SafePidfdHandle>(pids.Count);
        try
        {
            foreach (int pid in pids)
            {
                int fd = Libc.PidfdOpen(pid, 0);
                if (fd >= 0)
                {
                    opened.Add(new SafePidfdHandle(fd, pid));
                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.ESRCH)
                {
                    throw OsException.FromErrno(errno, "pidfd_open", $"{OsException.Sending(signal, $"pid {pid}")} in the cgroup {cgroupPath}: cannot open a pidfd", pid, signal);
                }
            }

            var still = new HashSet<int>(CgroupFiles.ReadPids(procs));
            foreach (SafePidfdHandle pidfd in opened)
            {
                int pid = pidfd.Pid;
                if (!still.Contains(pid))
                {
                    continue; // gone, or its pid is someone else's now
                }

                int sent = Pidfd.Send((int)pidfd.DangerousGetHandle(), pid, signal);
                if (sent == 0)
                {
                    reached.Add(pid);
                }
                else if (sent != Errno.ESRCH)
                {
                    throw OsException.FromErrno(sent, "pidfd_send_signal", $"{OsException.Sending(signal, pidfd.ToString())} in the cgroup {cgroupPath}", pid, signal);
                }
            }
        }
        finally
        {
            foreach (SafePidfdHandle pidfd in opened)
            {
                pidfd.Dispose();
            }
        }
    }
}
