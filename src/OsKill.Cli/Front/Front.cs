using System.Runtime.InteropServices;
using System.Text;

namespace OsKill.Cli;

/// <summary>
/// The NativeAOT front: a small binary, built from this project without System.CommandLine, that
/// runs the shapes scripts call in loops (<c>PID...</c>, <c>-SIG PID...</c>, <c>-s SIG PID...</c>)
/// itself and hands every other command line, unchanged, to the full oskill beside it with
/// execv(2). NativeAOT initialises every type of an image at start-up, so linking
/// System.CommandLine costs a run that never parses with it about as much again as the runtime
/// itself; see docs/benchmarks.md.
/// </summary>
internal static partial class Front
{
    /// <summary>The full NativeAOT oskill, in the same directory as the front.</summary>
    internal const string FullBinary = "OsKill.Cli";

    private static int Main(string[] args)
    {
        // Plain file descriptors, not System.Console: the front's image stays without it.
        var stderr = new FdWriter(2);
        if (FastPath.TryParse(args) is Request request)
        {
            try
            {
                return new Sender(new FdWriter(1), stderr).Run(request);
            }
            catch (Exception e)
            {
                stderr.WriteLine($"{Rules.Name}: internal error: {Sender.OneLine(e.Message)}");
                return 1;
            }
        }

        string directory = Path.GetDirectoryName(Environment.ProcessPath) ?? ".";
        string full = Path.Combine(directory, FullBinary);
        string?[] argv = [full, .. args, null];
        Execv(full, argv);
        int errno = Marshal.GetLastPInvokeError();
        stderr.WriteLine($"{Rules.Name}: cannot run {full}: {Marshal.GetPInvokeErrorMessage(errno)}");
        return 1;
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteFd(int fd, byte* buffer, nint count);

    /// <summary>Lines written straight to a file descriptor with write(2), as UTF-8.</summary>
    private sealed class FdWriter(int fd) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void WriteLine(string? value) => Write(value + "\n");

        public override unsafe void Write(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            byte[] bytes = Encoding.UTF8.GetBytes(value);
            fixed (byte* start = bytes)
            {
                nint done = 0;
                while (done < bytes.Length)
                {
                    nint n = WriteFd(fd, start + done, bytes.Length - done);
                    if (n <= 0 && Marshal.GetLastPInvokeError() != 4)
                    {
                        return; // EPIPE and the like: nobody is reading; EINTR (4) retries
                    }

                    done += Math.Max(n, 0);
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, string?[] argv);
}
