using System.Globalization;

namespace OsKill.Tests.Soak;

/// <summary>
/// What the test host holds now: its descriptors (and which are pidfds, for which pid), its
/// threads other than the thread pool's workers (whose number the pool changes as it likes), and
/// the library's exit watcher threads.
/// </summary>
internal sealed record Resources(IReadOnlyDictionary<int, string> Fds, IReadOnlyDictionary<int, int> Pidfds, IReadOnlyList<string> Threads, int WatcherThreads)
{
    /// <summary>The kernel's name of the watcher thread (its first 15 bytes).</summary>
    private const string WatcherComm = "OsKill pidfd ex";

    internal static Resources Take()
    {
        var fds = new Dictionary<int, string>();
        var pidfds = new Dictionary<int, int>();
        foreach (string path in Directory.GetFiles("/proc/self/fd"))
        {
            int fd = int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture);
            string? target = Readlink(path);
            if (target is null)
            {
                continue; // closed since the listing (the listing's own descriptor among them)
            }

            fds[fd] = target;
            if (PidfdTarget(fd) is int pid)
            {
                pidfds[fd] = pid;
            }
        }

        var threads = new List<string>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                threads.Add(File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'));
            }
            catch (IOException)
            {
                // The thread has ended.
            }
        }

        return new Resources(
            fds,
            pidfds,
            threads.Where(t => !t.StartsWith(".NET TP Worker", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList(),
            threads.Count(t => t == WatcherComm));
    }

    /// <summary>The pid that descriptor <paramref name="fd"/> of this process is a pidfd for; null when it is not a pidfd (or is closed).</summary>
    internal static int? PidfdTarget(int fd)
    {
        try
        {
            if (Readlink($"/proc/self/fd/{fd}") != "anon_inode:[pidfd]")
            {
                return null;
            }

            foreach (string line in File.ReadLines($"/proc/self/fdinfo/{fd}"))
            {
                if (line.StartsWith("Pid:", StringComparison.Ordinal))
                {
                    return int.Parse(line["Pid:".Length..].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                }
            }

            return null;
        }
        catch (IOException)
        {
            return null; // closed between the two reads
        }
    }

    /// <summary>
    /// What grew from <paramref name="before"/> to this snapshot beyond what a runtime does on its
    /// own (a few descriptors and threads made on first use): every new pidfd, more than
    /// <paramref name="fdSlack"/> new descriptors, more than <paramref name="threadSlack"/> new
    /// threads, more than one exit watcher.
    /// </summary>
    internal IEnumerable<string> LeaksSince(Resources before, int fdSlack, int threadSlack)
    {
        foreach ((int fd, int pid) in Pidfds.Where(p => !before.Pidfds.TryGetValue(p.Key, out int was) || was != p.Value))
        {
            yield return $"pidfd {fd} (pid {pid}) is still open";
        }

        // An assembly loaded on first use (to format a stack trace, say) keeps two descriptors: not a leak.
        int now = Fds.Values.Count(t => !IsAssembly(t)), then = before.Fds.Values.Count(t => !IsAssembly(t));
        if (now > then + fdSlack)
        {
            IEnumerable<KeyValuePair<int, string>> newFds = Fds.Where(f => !IsAssembly(f.Value) && (!before.Fds.TryGetValue(f.Key, out string? was) || was != f.Value));
            yield return $"{now} descriptors open (not counting assemblies), {then} before; new: {string.Join(", ", newFds.Take(30).Select(f => $"{f.Key} -> {f.Value}"))}";
        }

        if (Threads.Count > before.Threads.Count + threadSlack)
        {
            yield return $"{Threads.Count} threads (not counting the thread pool's), {before.Threads.Count} before: [{string.Join(", ", Threads)}], before [{string.Join(", ", before.Threads)}]";
        }

        if (WatcherThreads > 1)
        {
            yield return $"{WatcherThreads} exit watcher threads";
        }
    }

    private static bool IsAssembly(string target) => target.EndsWith(".dll", StringComparison.Ordinal);

    private static string? Readlink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
