// The runtime calls StartupHook.Initialize (a type in the global namespace, by convention) in an
// assembly named in DOTNET_STARTUP_HOOKS, before Main. OsKill names itself there only in the
// console helper it starts for ConsoleControl.Send; in any other process this does nothing.
internal static class StartupHook
{
    /// <summary>Runs the console helper when this process was started as one.</summary>
    public static void Initialize() => OsKill.Windows.ConsoleHelper.RunIfRequested();
}
