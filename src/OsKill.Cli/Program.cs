namespace OsKill.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        // On Windows, oskill may be re-launched as OsKill's console-event helper: startup hooks do
        // not run under NativeAOT, so it answers that call here, before anything else.
        if (OperatingSystem.IsWindows() && ConsoleControl.RunHelperIfRequested())
        {
            return 0;
        }

        // Unix: write(2) on 1 and 2, as the front does, with errors oskill can name (FdWriter).
        return OperatingSystem.IsWindows()
            ? Cli.Run(args, new LazyConsoleWriter(error: false), new LazyConsoleWriter(error: true))
            : Cli.Run(args, new FdWriter(1), new FdWriter(2));
    }
}
