using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using OsKill.Interop;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// Reading and writing a cgroup's control files (cgroup.procs, cgroup.kill, cgroup.freeze), with
/// the errno the kernel gives: a cgroup write is checked in write(2), and a refusal there is the
/// answer, not an I/O accident.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class CgroupFiles
{
    /// <summary>The pids listed in <paramref name="procsPath"/> (a cgroup.procs).</summary>
    /// <exception cref="OsException">The file cannot be read, with the path.</exception>
    internal static List<int> ReadPids(string procsPath)
    {
        byte[] buffer = new byte[4096];
        int n = ProcFs.Read(procsPath, ref buffer);
        if (n < 0)
        {
            throw OsException.FromErrno(-n, "read", "cannot read " + procsPath, null, null);
        }

        var pids = new List<int>();
        ProcFs.ParseNumbers(buffer.AsSpan(0, n), pids);
        return pids;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/>, or throws <see cref="WriteError"/>.</summary>
    internal static void WriteOrThrow(string path, string text, string attempt)
    {
        int errno = Write(path, text);
        if (errno != 0)
        {
            throw WriteError(errno, path, attempt, null);
        }
    }

    /// <summary>The exception for a failed write: <see cref="UnauthorizedAccessException"/> for EACCES, EPERM and EROFS, else <see cref="OsException"/>.</summary>
    internal static Exception WriteError(int errno, string path, string attempt, int? pid)
    {
        if (errno is Errno.EACCES or Errno.EPERM or Errno.EROFS)
        {
            return new UnauthorizedAccessException(
                $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}: {attempt} (write {path}). " +
                "Moving processes between cgroups needs write access to both cgroups and to their common ancestor's cgroup.procs.");
        }

        return OsException.FromErrno(errno, "write", $"{attempt} (write {path})", pid, null);
    }

    /// <summary>open, write, close: 0 or the errno.</summary>
    internal static unsafe int Write(string path, string text)
    {
        int fd = Libc.Open(path, Libc.O_WRONLY | Libc.O_CLOEXEC_Linux);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        try
        {
            byte[] bytes = Encoding.ASCII.GetBytes(text);
            fixed (byte* p = bytes)
            {
                return Libc.Write(fd, p, (nuint)bytes.Length) < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
