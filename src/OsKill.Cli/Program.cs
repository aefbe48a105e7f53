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

        return Cli.Run(args, new LazyConsoleWriter(error: false), new LazyConsoleWriter(error: true));
    }
}
