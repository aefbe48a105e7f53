using System.Runtime.InteropServices;

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
        if (FastPath.TryParse(args) is Request request)
        {
            try
            {
                return new Sender(new LazyConsoleWriter(error: false), new LazyConsoleWriter(error: true)).Run(request);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"{Rules.Name}: internal error: {Sender.OneLine(e.Message)}");
                return 1;
            }
        }

        string directory = Path.GetDirectoryName(Environment.ProcessPath) ?? ".";
        string full = Path.Combine(directory, FullBinary);
        string?[] argv = [full, .. args, null];
        Execv(full, argv);
        int errno = Marshal.GetLastPInvokeError();
        Console.Error.WriteLine($"{Rules.Name}: cannot run {full}: {Marshal.GetPInvokeErrorMessage(errno)}");
        return 1;
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, string?[] argv);
}
