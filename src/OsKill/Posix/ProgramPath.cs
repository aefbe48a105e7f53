using System.Runtime.Versioning;

namespace OsKill.Posix;

/// <summary>
/// Finds the program of a <see cref="System.Diagnostics.ProcessStartInfo.FileName"/> by the rules
/// that <see cref="System.Diagnostics.Process.Start()"/> follows on Unix, so that a program started
/// through a wrapper is the one a plain start would have run: a rooted path if it is an executable file; otherwise
/// next to this process's executable, then in the current directory, then in each directory of
/// this process's PATH, taking the first regular file that is executable.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class ProgramPath
{
    /// <summary>The absolute path of the program, or null when there is none.</summary>
    internal static string? Resolve(string fileName)
    {
        if (Path.IsPathRooted(fileName))
        {
            return Executable(fileName);
        }

        if (Path.GetDirectoryName(Environment.ProcessPath) is string exeDirectory && Executable(Path.Combine(exeDirectory, fileName)) is string besideUs)
        {
            return besideUs;
        }

        if (Executable(Path.Combine(Directory.GetCurrentDirectory(), fileName)) is string inCurrent)
        {
            return inCurrent;
        }

        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Executable(Path.Combine(Path.GetFullPath(directory), fileName)) is string found)
            {
                return found;
            }
        }

        return null;
    }

    private static string? Executable(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0 ? Path.GetFullPath(path) : null;
    }
}
