using System.Runtime.InteropServices;
using System.Text;

namespace OsKill.Cli;

/// <summary>
/// The NativeAOT front, published as <c>oskill</c> beside the full NativeAOT <c>OsKill.Cli</c> (Unix
/// only; OsKill.Cli.csproj builds it). It is this project compiled without System.CommandLine.
/// The command lines that scripts call in loops, those <see cref="FastPath"/> takes (<c>PID...</c>,
/// <c>-SIG PID...</c>, <c>-s SIG PID...</c> with plain decimal pids), it sends itself, through the
/// same <see cref="Sender"/> as the full binary, so the messages and exit statuses are the same.
/// Every other command line, help and usage errors included, it hands unchanged to
/// <c>OsKill.Cli</c> with execv(2), which keeps the pid, the descriptors and the environment.
/// Why a second binary: NativeAOT initialises every type of an image at start-up, so linking
/// System.CommandLine costs a <c>-0 PID</c> run that never calls it about as much again as the
/// runtime itself (docs/cli-startup.md).
/// </summary>
internal static partial class Front
{
    /// <summary>The file name of the full oskill, looked for in the front's own directory.</summary>
    internal const string FullBinary = "OsKill.Cli";

    private const int EINTR = 4;
    private const int EPIPE = 32;

    private static int Main(string[] args)
    {
        // Plain file descriptors, not System.Console: the front's image stays without it.
        var stderr = new FdWriter(2);
        try
        {
            return FastPath.TryParse(args) is Request request
                ? new Sender(new FdWriter(1), stderr).Run(request)
                : ExecFull(args, stderr);
        }
        catch (Exception e)
        {
            return Rules.InternalError(stderr, e);
        }
    }

    // Replaces this process with OsKill.Cli and the same arguments; returns only if that failed.
    private static int ExecFull(string[] args, FdWriter stderr)
    {
        // ProcessPath is /proc/self/exe, the file behind any symbolic link: a link on the PATH
        // finds OsKill.Cli beside the front it points to. Never the working directory.
        if (Environment.ProcessPath is not string self)
        {
            stderr.WriteLine($"{Rules.Name}: cannot find its own file, so cannot run {FullBinary} beside it");
            return 1;
        }

        string full = Path.Combine(Path.GetDirectoryName(self) ?? "/", FullBinary);
        Execv(full, [full, .. args, null]);
        int errno = Marshal.GetLastPInvokeError();
        stderr.WriteLine($"{Rules.Name}: cannot run {full}: {Marshal.GetPInvokeErrorMessage(errno)}");
        return 1;
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, string?[] argv);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteFd(int fd, byte* buffer, nint count);

    /// <summary>
    /// Text written straight to a file descriptor with write(2), as UTF-8, with the error handling
    /// of .NET's console streams in the full binary: EPIPE (nobody reads) drops the rest, EINTR
    /// retries, any other error throws <see cref="IOException"/>.
    /// </summary>
    private sealed class FdWriter(int fd) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void WriteLine(string? value) => Write(value + "\n");

        public override unsafe void Write(string? value)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(value ?? string.Empty);
            fixed (byte* start = bytes)
            {
                nint done = 0;
                while (done < bytes.Length)
                {
                    nint n = WriteFd(fd, start + done, bytes.Length - done);
                    int errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
                    if (n > 0)
                    {
                        done += n;
                    }
                    else if (errno == EPIPE)
                    {
                        return;
                    }
                    else if (errno != EINTR)
                    {
                        throw new IOException(n == 0 ? "write(2) wrote nothing" : Marshal.GetPInvokeErrorMessage(errno));
                    }
                }
            }
        }
    }
}
