namespace OsKill.Cli.Run;

/// <summary>
/// Finds CMD before anything is started, as execvp(3) would, so that oskill can say why it cannot run
/// it with GNU timeout's statuses: 127 when it does not exist, 126 when it cannot be executed.
/// </summary>
internal static class ProgramLookup
{
    /// <summary>The absolute path of <paramref name="name"/>, or null with the status (126 or 127) and the reason.</summary>
    internal static string? Find(string name, out int status, out string? reason)
    {
        status = 0;
        reason = null;
        if (name.Length == 0)
        {
            status = 127;
            reason = "No such file or directory";
            return null;
        }

        if (name.Contains('/', StringComparison.Ordinal))
        {
            return Check(Path.GetFullPath(name), out status, out reason);
        }

        string path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        int firstProblem = 0;
        string? firstReason = null;
        foreach (string dir in path.Split(':'))
        {
            string candidate = Path.GetFullPath(Path.Combine(dir.Length == 0 ? "." : dir, name));
            if (!File.Exists(candidate) && !Directory.Exists(candidate))
            {
                continue;
            }

            string? found = Check(candidate, out int s, out string? r);
            if (found is not null)
            {
                return found;
            }

            if (firstProblem == 0)
            {
                (firstProblem, firstReason) = (s, r);
            }
        }

        // execvp: a file that exists but cannot be run is EACCES (126); nothing at all is ENOENT (127).
        status = firstProblem == 0 ? 127 : firstProblem;
        reason = firstProblem == 0 ? "command not found" : firstReason;
        return null;
    }

    private static string? Check(string path, out int status, out string? reason)
    {
        status = 0;
        reason = null;
        if (Directory.Exists(path))
        {
            status = 126;
            reason = "Is a directory";
            return null;
        }

        if (!File.Exists(path))
        {
            status = 127;
            reason = "No such file or directory";
            return null;
        }

        if (Native.Access(path, Native.XOk) != 0)
        {
            status = 126;
            reason = "Permission denied";
            return null;
        }

        return path;
    }
}
