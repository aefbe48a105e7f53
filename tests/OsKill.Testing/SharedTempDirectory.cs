namespace OsKill.Testing;

/// <summary>
/// A directory of this test run that every user may enter and read (0755, under a path whose every
/// directory others may search), removed when the test host exits. It holds what a process of
/// another user (uid 65534, see <see cref="Unprivileged"/>) runs: the clone the tests run from may
/// sit under a directory that only root can enter (/root, mktemp -d), and a umask of 077 makes
/// the built files unreadable to others too.
/// </summary>
public static class SharedTempDirectory
{
    private const UnixFileMode Searchable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite
        | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private static readonly Lazy<string> s_path = new(Create);

    /// <summary>The directory, made on first use.</summary>
    public static string Path => s_path.Value;

    /// <summary>A subdirectory called <paramref name="name"/>, 0755, made if it does not exist yet.</summary>
    public static string Subdirectory(string name)
    {
        var directory = new DirectoryInfo(System.IO.Path.Combine(Path, name));
        directory.Create();
        directory.UnixFileMode = Searchable; // not left to the umask
        return directory.FullName;
    }

    /// <summary>
    /// Copies <paramref name="source"/> with everything under it to the subdirectory
    /// <paramref name="name"/>: directories 0755, files 0644 (0755 where the owner may execute).
    /// Returns the copy's path.
    /// </summary>
    public static string CopyDirectory(string source, string name)
    {
        string target = Subdirectory(name);
        foreach (string directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            var copy = new DirectoryInfo(System.IO.Path.Combine(target, System.IO.Path.GetRelativePath(source, directory)));
            copy.Create();
            copy.UnixFileMode = Searchable;
        }

        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string copy = System.IO.Path.Combine(target, System.IO.Path.GetRelativePath(source, file));
            File.Copy(file, copy, overwrite: true);
            bool executable = (File.GetUnixFileMode(file) & UnixFileMode.UserExecute) != 0;
            File.SetUnixFileMode(copy, executable ? Searchable : Readable);
        }

        return target;
    }

    /// <summary>
    /// Null when a user other than the owner (and outside its group) can reach <paramref name="path"/>:
    /// read it if it is a file, search it if it is a directory, and search every directory above it.
    /// Else what stops them, with the path.
    /// </summary>
    public static string? WhyUnreachable(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (new FileInfo(full).LinkTarget is not null)
        {
            full = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        }

        bool isDirectory = Directory.Exists(full);
        if (!isDirectory && !File.Exists(full))
        {
            return $"{full} does not exist";
        }

        UnixFileMode needed = isDirectory ? UnixFileMode.OtherExecute : UnixFileMode.OtherRead;
        if ((File.GetUnixFileMode(full) & needed) == 0)
        {
            return isDirectory ? $"directory {full} is not searchable by others" : $"{full} is not readable by others";
        }

        for (string? directory = System.IO.Path.GetDirectoryName(full); directory is not null; directory = System.IO.Path.GetDirectoryName(directory))
        {
            if ((File.GetUnixFileMode(directory) & UnixFileMode.OtherExecute) == 0)
            {
                return $"directory {directory} is not searchable by others";
            }
        }

        return null;
    }

    /// <summary>Makes the directory in the first temporary directory that others can reach: $TMPDIR, /tmp, /var/tmp, /dev/shm.</summary>
    private static string Create()
    {
        var refused = new List<string>();
        foreach (string parent in new[] { System.IO.Path.GetTempPath(), "/tmp", "/var/tmp", "/dev/shm" }.Distinct())
        {
            if (WhyUnreachable(parent) is string why)
            {
                refused.Add(why);
                continue;
            }

            var directory = new DirectoryInfo(System.IO.Path.Combine(parent, $"oskill-tests-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}"));
            directory.Create();
            directory.UnixFileMode = Searchable;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(directory);
            return directory.FullName;
        }

        throw new InvalidOperationException($"no temporary directory that every user can reach: {string.Join("; ", refused)}");
    }

    private static void Remove(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left in the temporary directory; never fail the test run's exit over it.
        }
    }
}
