using System.Runtime.InteropServices;

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

    private static int Main(string[] args)
    {
        // Plain file descriptors, not System.Console: the front's image stays without it. Guarded
        // as in the full binary: output that fails stops no signal, and Finish reports it.
        var stdout = GuardedWriter.Of(new FdWriter(1));
        var stderr = GuardedWriter.Of(new FdWriter(2));
        int status;
        try
        {
            status = FastPath.TryParse(args) is Request request
                ? new Sender(stdout, stderr).Run(request)
                : ExecFull(args, stderr);
        }
        catch (Exception e)
        {
            status = Rules.InternalError(stderr, e);
        }

        return Rules.Finish(status, stdout, stderr);
    }

    // Replaces this process with OsKill.Cli and the same arguments; returns only if that failed.
    private static int ExecFull(string[] args, GuardedWriter stderr)
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
}
