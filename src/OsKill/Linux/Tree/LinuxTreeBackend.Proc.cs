using System.Globalization;
using System.Runtime.Versioning;
using OsKill.Interop;

namespace OsKill.Linux.Tree;

/// <summary>
/// What <see cref="LinuxTreeBackend"/> reads from /proc: stats, children lists, thread lists, and
/// the scan of every process where children files are missing. A read that fails for any reason but
/// the process being gone (ENOENT, ESRCH) throws <see cref="OsException"/> naming the pid and the root.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class LinuxTreeBackend
{
    /// <summary>
    /// Whether a read that returned <paramref name="result"/> (−errno) failed because the process
    /// is gone; any other failure is thrown, naming the pid.
    /// </summary>
    private bool IsGone(int result, string path, int pid)
    {
        int errno = -result;
        if (errno is Errno.ENOENT or Errno.ESRCH)
        {
            return true;
        }

        throw OsException.FromErrno(errno, "read", $"cannot read {path} of pid {pid} while walking the process tree of pid {_rootPid}", pid, null);
    }

    private bool TryReadStat(LinuxTreeMember m, out ProcFs.Stat stat)
    {
        string path = "/proc/" + m.Pid.ToString(CultureInfo.InvariantCulture) + "/stat";
        int result = ProcFs.ReadStat(path, ref _buffer, out stat);
        return result == 0 || !IsGone(result, path, m.Pid);
    }

    private bool ReadChildren(int pid, int tid, List<int> into)
    {
        string path = $"/proc/{pid}/task/{tid}/children";
        int n = ProcFs.Read(path, ref _buffer);
        if (n < 0)
        {
            return !IsGone(n, path, pid);
        }

        ProcFs.ParseNumbers(_buffer.AsSpan(0, n), into);
        return true;
    }

    /// <summary>The thread ids of a member, from /proc/PID/task; empty once it is gone.</summary>
    private List<int> Tasks(LinuxTreeMember m)
    {
        var tids = new List<int>();
        string path = $"/proc/{m.Pid}/task";
        try
        {
            foreach (string dir in Directory.EnumerateDirectories(path))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int tid))
                {
                    tids.Add(tid);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException e)
        {
            throw ReadFailed(e, path, m.Pid);
        }

        return tids;
    }

    /// <summary>The parent→children map of every process, from /proc/*/stat: the walk where the kernel has no children files.</summary>
    private Dictionary<int, List<int>> ScanProc()
    {
        var map = new Dictionary<int, List<int>>();
        IEnumerable<string> dirs;
        try
        {
            dirs = Directory.EnumerateDirectories("/proc").ToList();
        }
        catch (IOException e)
        {
            throw ReadFailed(e, "/proc", null);
        }

        foreach (string dir in dirs)
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            int result = ProcFs.ReadStat(dir + "/stat", ref _buffer, out ProcFs.Stat stat);
            if (result != 0)
            {
                IsGone(result, dir + "/stat", pid);
                continue;
            }

            if (!map.TryGetValue(stat.ParentPid, out List<int>? list))
            {
                map[stat.ParentPid] = list = [];
            }

            list.Add(pid);
        }

        return map;
    }

    /// <summary>An <see cref="IOException"/> from listing a /proc directory, as the <see cref="OsException"/> of its errno (.NET keeps it in HResult on Unix).</summary>
    private OsException ReadFailed(IOException e, string path, int? pid)
    {
        int errno = e.HResult is > 0 and < 4096 ? e.HResult : Errno.EIO;
        return OsException.FromErrno(errno, "opendir", $"cannot list {path}{(pid is int p ? $" of pid {p}" : string.Empty)} while walking the process tree of pid {_rootPid}", pid ?? _rootPid, null);
    }
}
