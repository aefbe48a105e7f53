using System.Diagnostics;

namespace OsKill.Posix;

/// <summary>
/// Finds out, once per process, whether a command runs and exits 0 here: whether /bin/sh takes -p,
/// whether env has --default-signal. An answer is kept only once it is known; a start that fails
/// (EMFILE, say) throws to its caller and is tried again next time.
/// </summary>
internal static class CommandProbe
{
    private static readonly Dictionary<string, bool> s_answers = [];

    /// <summary>True when <paramref name="file"/> with <paramref name="arguments"/> exits with status 0; false for any other status, or when the file does not exist.</summary>
    internal static bool Succeeds(string file, params string[] arguments)
    {
        string key = file + "\0" + string.Join('\0', arguments);
        lock (s_answers)
        {
            if (s_answers.TryGetValue(key, out bool known))
            {
                return known;
            }

            bool answer = File.Exists(file) && Run(file, arguments) == 0;
            s_answers[key] = answer;
            return answer;
        }
    }

    private static int Run(string file, string[] arguments)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        using Process probe = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned no process for " + file);
        Task<string> output = probe.StandardOutput.ReadToEndAsync();
        Task<string> errors = probe.StandardError.ReadToEndAsync();
        probe.WaitForExit();
        Task.WaitAll(output, errors);
        return probe.ExitCode;
    }
}
