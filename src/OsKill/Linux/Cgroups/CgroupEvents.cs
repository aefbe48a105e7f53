using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Posix;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// A cgroup's cgroup.events file ("populated 0|1", "frozen 0|1"): read once, or waited on, woken by
/// POLLPRI on the file (the kernel notifies every change), not by a timer.
/// </summary>
/// <param name="path">The cgroup.events file.</param>
[SupportedOSPlatform("linux")]
internal readonly struct CgroupEvents(string path)
{
    /// <summary>The value of <paramref name="key"/> now, or −1 when the file has no such line.</summary>
    /// <exception cref="OsException">The file cannot be read (the cgroup is gone, say).</exception>
    internal int Read(string key)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new OsException($"Cannot read {path}: {e.Message}", e);
        }

        return Parse(text, key);
    }

    /// <summary>
    /// Waits until the file shows <paramref name="key"/> with <paramref name="value"/>, on the calling
    /// thread. Returns false at the limit.
    /// </summary>
    /// <exception cref="OsException">The file cannot be opened or read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal unsafe bool WaitFor(string key, int value, TimeSpan limit, CancellationToken cancellationToken)
    {
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC_Linux);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw OsException.FromErrno(errno, "open", "cannot open " + path, null, null);
        }

        try
        {
            long deadline = Deadline.After(limit);
            using var wait = new FdWait(cancellationToken);
            byte[] buffer = new byte[256];
            while (true)
            {
                // A read re-arms the notification: a change after it wakes the poll below.
                nint n;
                fixed (byte* p = buffer)
                {
                    n = Libc.Pread(fd, p, (nuint)buffer.Length, 0);
                }

                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw OsException.FromErrno(errno, "read", "cannot read " + path, null, null);
                }

                if (Parse(Encoding.ASCII.GetString(buffer, 0, (int)n), key) == value)
                {
                    return true;
                }

                if (!wait.WaitOne(fd, Libc.POLLPRI, deadline))
                {
                    return false;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static int Parse(string text, string key)
    {
        foreach (string line in text.Split('\n'))
        {
            if (line.Length > key.Length && line.StartsWith(key, StringComparison.Ordinal) && line[key.Length] == ' ')
            {
                return int.Parse(line.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
