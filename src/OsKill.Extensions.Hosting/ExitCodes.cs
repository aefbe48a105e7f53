namespace OsKill.Extensions.Hosting;

/// <summary>One number for how a run ended, as a shell gives it: the exit code, or 128 + N for a run ended by signal N.</summary>
internal static class ExitCodes
{
    public static int? Of(ExitStatus? status) => status switch
    {
        { ExitCode: int code } => code,
        { TerminatingSignal: int signal } => 128 + signal,
        _ => null,
    };

    /// <summary>The exit code the host gets when a child stops it: the child's own, or 1 for a clean exit that still meant failure (restarts spent).</summary>
    public static int ForHost(int childExitCode, bool failure) => childExitCode == 0 && failure ? 1 : childExitCode;
}
