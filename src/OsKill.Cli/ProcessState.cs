namespace OsKill.Cli;

/// <summary>
/// <c>-d PID</c>, util-linux's <c>--show-process-state</c>: the signal masks of /proc/PID/status
/// by name, one line for each mask that is not empty ("Blocked: INT ", "Caught: HUP TERM "), in
/// util-linux's words and format, trailing space included.
/// </summary>
internal static class ProcessState
{
    /// <summary>Prints the masks of <paramref name="pid"/>; returns 0, or 1 where they cannot be read.</summary>
    internal static int Show(int pid, TextWriter stdout, TextWriter stderr)
    {
        if (!OperatingSystem.IsLinux())
        {
            stderr.WriteLine($"{Rules.Name}: -d reads /proc/PID/status, which only Linux has");
            return 1;
        }

        string? status = LinuxProcesses.ReadStatus(pid, out string? error);
        if (status is null)
        {
            stderr.WriteLine($"{Rules.Name}: cannot open /proc/{pid}/status: {error}");
            return 1;
        }

        foreach ((string key, string label) in LinuxProcesses.MaskFields)
        {
            if (!LinuxProcesses.TryReadMask(status, key, out ulong mask))
            {
                stderr.WriteLine($"{Rules.Name}: /proc/{pid}/status has no readable {key} line");
                continue;
            }

            if (mask != 0)
            {
                stdout.WriteLine($"{label}: {SignalListing.MaskNames(mask, ' ')}");
            }
        }

        return 0;
    }
}
