using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OsKill.Cli.Tests.Infrastructure;

/// <summary>
/// What the <c>oskill run</c> tests share: the hostile fixture, and a mark (an environment variable
/// with a value of its own) that every process of one test inherits, so that its survivors can be
/// found in /proc whatever they did (setsid, a double fork) and nothing else is ever counted.
/// </summary>
public static class RunFixture
{
    /// <summary>The variable that marks a test's processes.</summary>
    public const string MarkVariable = "OSKILL_RUN_TEST_MARK";

    /// <summary>
    /// A child in a session of its own, a double-forked orphan, and a main process that ignores
    /// TERM: what GNU timeout and tini -g leave behind.
    /// </summary>
    public const string Hostile = "setsid sleep 1000 & (sleep 1000 &); trap \"\" TERM; sleep 1000";

    /// <summary>A new mark; disposing the result kills every process that still carries it (the test's own processes only).</summary>
    public static IDisposable Mark(out string mark)
    {
        string value = Guid.NewGuid().ToString("N");
        mark = value;
        return new Cleanup(() => KillMarked(value));
    }

    /// <summary>The environment that marks a test's processes.</summary>
    public static Dictionary<string, string> Marked(string mark) => new() { [MarkVariable] = mark };

    /// <summary>The living (not zombie) processes that carry <paramref name="mark"/>.</summary>
    public static List<int> Survivors(string mark)
    {
        byte[] needle = Encoding.UTF8.GetBytes($"{MarkVariable}={mark}\0");
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                byte[] environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (environ.AsSpan().IndexOf(needle) >= 0 && ProcState.State(pid) is char state && state != 'Z' && state != 'X')
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or a kernel thread.
            }
        }

        return found;
    }

    /// <summary>Polls until no process carries the mark or <paramref name="limit"/> has passed; returns those left and the time it took.</summary>
    public static async Task<(List<int> Left, TimeSpan Elapsed)> WaitForNoSurvivorsAsync(string mark, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        List<int> left = Survivors(mark);
        while (left.Count > 0 && clock.Elapsed < limit)
        {
            await Task.Delay(20);
            left = Survivors(mark);
        }

        return (left, clock.Elapsed);
    }

    /// <summary>Polls until at least <paramref name="count"/> processes carry the mark.</summary>
    public static async Task WaitForMembersAsync(string mark, int count)
    {
        var clock = Stopwatch.StartNew();
        while (Survivors(mark).Count < count)
        {
            Assert.True(clock.Elapsed < Child.Timeout, $"fewer than {count} processes carry the mark: [{string.Join(' ', Survivors(mark))}]");
            await Task.Delay(20);
        }
    }

    /// <summary>Cleans up after an anchor: SIGKILL to every process that carries the mark (the test's own processes only).</summary>
    private static void KillMarked(string mark)
    {
        foreach (int pid in Survivors(mark))
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }

    /// <summary>The command that runs oskill as a shell word list, each word quoted for sh (for script -c).</summary>
    public static string ShellQuoted(IEnumerable<string> words) =>
        string.Join(' ', words.Select(w => "'" + w.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));

    private sealed class Cleanup(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
