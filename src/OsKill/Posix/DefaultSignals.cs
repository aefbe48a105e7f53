namespace OsKill.Posix;

/// <summary>
/// Starts a program with every signal at its default action and none blocked, whatever the caller
/// inherited: a process started from a background job has SIGINT and SIGQUIT ignored, one under
/// nohup SIGHUP, and .NET's own children SIGPIPE (the runtime ignores it, and exec keeps what is
/// ignored, as it keeps the signal mask). A shell cannot undo that (POSIX: "signals that were
/// ignored on entry to a non-interactive shell cannot be trapped or reset"), and .NET has no hook
/// between fork and exec, so the program is exec'd through coreutils' <c>env --default-signal</c>,
/// which resets every signal's action and empties the mask before it execs.
/// </summary>
internal static class DefaultSignals
{
    internal const string Env = "/usr/bin/env";

    /// <summary>The variables that /bin/sh adds to or changes in what it passes on (dash: PWD; bash also SHLVL, _ and OLDPWD).</summary>
    private static readonly string[] s_shellVariables = ["PWD", "OLDPWD", "SHLVL", "_"];

    /// <summary>
    /// Whether <c>/usr/bin/env --default-signal</c> works here (coreutils 8.31 or later; BusyBox's
    /// env lacks it). Found out once, by running it.
    /// </summary>
    internal static bool Available => CommandProbe.Succeeds(Env, "--default-signal", "/bin/sh", "-c", ":");

    /// <summary>
    /// The command that execs <paramref name="program"/> with default signal handling and the
    /// environment of <paramref name="environment"/> exactly: the variables that the shell in front
    /// of it adds are removed or put back as given. Just the program where env cannot do it: where
    /// it lacks --default-signal, or where the path holds '=' (env would read it as a variable).
    /// </summary>
    internal static List<string> Command(IDictionary<string, string?> environment, string program)
    {
        if (program.Contains('=', StringComparison.Ordinal) || !Available)
        {
            return [program];
        }

        var command = new List<string> { Env, "--default-signal" };
        var given = new List<string>();
        foreach (string name in s_shellVariables)
        {
            if (environment.TryGetValue(name, out string? value) && value is not null)
            {
                given.Add(name + "=" + value);
            }
            else
            {
                command.Add("-u");
                command.Add(name);
            }
        }

        command.Add("--");
        command.AddRange(given);
        command.Add(program);
        return command;
    }
}
