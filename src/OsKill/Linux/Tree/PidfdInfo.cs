using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using OsKill.Interop;

namespace OsKill.Linux.Tree;

/// <summary>
/// Which process a pidfd names, from /proc/self/fdinfo: the root of a tree that the caller gives as
/// a pidfd. "Pid:" is −1 once the process has been reaped, and 0 for a process in a pid namespace
/// this one cannot see.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class PidfdInfo
{
    /// <summary>pidfd_open's PIDFD_THREAD (Linux 6.9+), which is O_EXCL: such a pidfd names one thread, and its fdinfo "flags:" carry the bit.</summary>
    private const int PidfdThread = 0x80;

    /// <summary>
    /// The pid that <paramref name="pidfd"/> names. A thread pidfd (PIDFD_THREAD) is refused: its
    /// "Pid:" is a thread id, which no check against the caller's pid and ancestors would catch, and
    /// a SIGSTOP to any thread stops its whole process.
    /// </summary>
    /// <exception cref="ProcessLookupException">The process has exited and been reaped.</exception>
    /// <exception cref="ArgumentException">Not a pidfd, a thread pidfd, or a process in another pid namespace.</exception>
    /// <exception cref="OsException">The fdinfo could not be read (EMFILE when out of descriptors).</exception>
    internal static int PidOf(SafePidfdHandle pidfd)
    {
        int fd = pidfd.FileDescriptor;
        string path = "/proc/self/fdinfo/" + fd.ToString(CultureInfo.InvariantCulture);
        byte[] buffer = new byte[512];
        int n = ProcFs.Read(path, ref buffer);
        if (n < 0)
        {
            throw OsException.FromErrno(-n, "read", $"cannot read {path} to find the process that {pidfd} names", pidfd.Pid >= 0 ? pidfd.Pid : null, null);
        }

        int flags = 0;
        foreach (string line in Encoding.ASCII.GetString(buffer, 0, n).Split('\n'))
        {
            if (line.StartsWith("flags:", StringComparison.Ordinal))
            {
                flags = Convert.ToInt32(line[6..].Trim(), 8);
            }
            else if (line.StartsWith("Pid:", StringComparison.Ordinal))
            {
                int pid = int.Parse(line.AsSpan(4).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                if (pid == -1)
                {
                    throw OsException.FromErrno(Errno.ESRCH, "pidfd", $"cannot kill the process tree of {pidfd}: the process has exited and been reaped", pidfd.Pid, null);
                }

                if (pid == 0)
                {
                    throw new ArgumentException($"{pidfd} names a process in another pid namespace, whose pid this process cannot see; its tree cannot be walked from here.", nameof(pidfd));
                }

                if ((flags & PidfdThread) != 0)
                {
                    throw ThreadPidfdRefused(pidfd, pid);
                }

                return pid;
            }
        }

        throw new ArgumentException($"{pidfd} is not a pidfd: {path} has no \"Pid:\" line.", nameof(pidfd));
    }

    private static ArgumentException ThreadPidfdRefused(SafePidfdHandle pidfd, int tid)
    {
        int process = ProcFs.ThreadGroupOf(tid);
        return new ArgumentException(
            process > 0 && ProcFs.CallerAndAncestors().Contains(process)
                ? $"Refusing to kill or stop the process tree of {pidfd}: it is a thread pidfd (PIDFD_THREAD) for thread {tid} of {LinuxProcessTree.Who(process)} (pid {process}), " +
                  "and SIGSTOP to any thread stops its whole process: the caller would stop itself half-way."
                : $"{pidfd} is a thread pidfd (PIDFD_THREAD) for thread {tid}{(process > 0 ? $" of process {process}" : string.Empty)}: a process tree needs a pidfd " +
                  $"for its root process. Open one without PIDFD_THREAD: Os.PidfdOpen({(process > 0 ? process : tid)}).",
            nameof(pidfd));
    }
}
