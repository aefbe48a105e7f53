using System.Globalization;

namespace OsKill.Testing;

/// <summary>
/// Makes the kernel give a freed pid to a new test child, through /proc/sys/kernel/ns_last_pid
/// (the last pid handed out in this pid namespace; writing it needs root). The same technique as
/// PidfdTests' reuse test.
/// </summary>
public static class PidReuse
{
    private const string NsLastPid = "/proc/sys/kernel/ns_last_pid";

    /// <summary>
    /// Starts a test child with <paramref name="args"/> on <paramref name="pid"/>, which must be free
    /// (its old process reaped). Other processes fork too, so it retries while someone else took the
    /// pid; after each fork the counter goes back to where it was, so that other processes do not go
    /// on getting pids that were freed a moment ago. Skips the test (with the reason) without root.
    /// </summary>
    public static async Task<Child> StartChildOnPidAsync(int pid, params string[] args)
    {
        const int Attempts = 40;
        var others = new List<int>();
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            int last = ReadLastPid();
            try
            {
                File.WriteAllText(NsLastPid, (pid - 1).ToString(CultureInfo.InvariantCulture));
            }
            catch (Exception denied) when (attempt == 0 && denied is UnauthorizedAccessException or IOException)
            {
                Assert.Skip($"cannot steer pid allocation: writing {NsLastPid} needs root (CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE): {denied.Message}");
            }

            Task<Child> starting;
            try
            {
                // Process.Start forks before StartAsync first awaits, so the fork is done here.
                starting = Child.StartAsync(args);
            }
            finally
            {
                if (ReadLastPid() < last)
                {
                    File.WriteAllText(NsLastPid, last.ToString(CultureInfo.InvariantCulture));
                }
            }

            Child candidate = await starting;
            if (candidate.Pid == pid && candidate.Process.Id == pid)
            {
                return candidate;
            }

            others.Add(candidate.Pid);
            candidate.Dispose();
        }

        throw new InvalidOperationException(
            $"could not get pid {pid} back for a new child in {Attempts} attempts; the children got [{string.Join(", ", others)}]");
    }

    private static int ReadLastPid() =>
        int.Parse(File.ReadAllText(NsLastPid).Trim(), CultureInfo.InvariantCulture);
}
