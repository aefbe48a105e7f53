using System.Runtime.InteropServices;
using System.Text;

namespace OsKill.Cli;

/// <summary>
/// Text written straight to a file descriptor with write(2), as UTF-8, one system call per
/// write: oskill's stdout and stderr on Unix, in the front and in the full binary alike (Windows
/// uses the console). Errors are those of .NET's console streams: EPIPE (the reader has gone)
/// drops the rest, EINTR retries, anything else throws <see cref="IOException"/> with the OS's
/// words (<see cref="GuardedWriter"/> keeps it from stopping anything).
/// </summary>
/// <remarks>
/// A descriptor that oskill was started without (<c>&gt;&amp;-</c>) is not left to chance: the
/// runtime opens files and pipes of its own, which take the lowest free numbers, so a closed 1 or
/// 2 is soon one of the runtime's pipes. Everything the runtime opens is close-on-exec, and a
/// descriptor that came through exec never is, so one with FD_CLOEXEC set is not the caller's:
/// the first write checks that once, and such a descriptor, like a closed one, fails with EBADF.
/// </remarks>
internal sealed partial class FdWriter(int fd) : TextWriter
{
    private const int EINTR = 4;
    private const int EBADF = 9;
    private const int EPIPE = 32;
    private const int F_GETFD = 1;
    private const int FD_CLOEXEC = 1;

    private bool _checked;

    /// <summary>UTF-8, whatever the locale says.</summary>
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Write([value]);

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void WriteLine(string? value) => Write(value + "\n");

    public override void WriteLine() => Write("\n");

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        if (!_checked)
        {
            int flags = Fcntl(fd, F_GETFD, 0);
            if (flags < 0 || (flags & FD_CLOEXEC) != 0)
            {
                throw new IOException(Marshal.GetPInvokeErrorMessage(EBADF));
            }

            _checked = true;
        }

        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(buffer)];
        Encoding.UTF8.GetBytes(buffer, bytes);
        ReadOnlySpan<byte> rest = bytes;
        while (!rest.IsEmpty)
        {
            nint n = WriteFd(fd, rest, rest.Length);
            if (n > 0)
            {
                rest = rest[(int)n..];
                continue;
            }

            int errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno == EPIPE)
            {
                return;
            }

            if (errno != EINTR)
            {
                throw new IOException(n == 0 ? "write(2) wrote nothing" : Marshal.GetPInvokeErrorMessage(errno));
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteFd(int fd, ReadOnlySpan<byte> buffer, nint count);

    // fcntl is variadic; F_GETFD reads no third argument, so a fixed one is harmless.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
