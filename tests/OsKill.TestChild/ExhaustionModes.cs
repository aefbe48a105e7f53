using System.Globalization;

namespace OsKill.TestChild;

/// <summary>
/// What the library does when the process is out of descriptors, in a child that can run out of
/// them (see <see cref="Descriptors"/>). Each mode prints "ready PID", then "key value" lines,
/// then "done".
///   container-emfile FREE   make a container once (so that everything it needs is loaded), then
///                           make one with only FREE descriptors free; report how that ended, how
///                           many of this process's cgroups are left once it is disposed, and
///                           whether the next one (with descriptors free again) works.
/// </summary>
internal static class ExhaustionModes
{
    internal static int Container(int free, Action<string> say, Action ready)
    {
        ready();
        void Report(string key, object value) => say($"{key} {Convert.ToString(value, CultureInfo.InvariantCulture)}");

        Descriptors.LoadEverythingReferenced();
        string parent;
        using (var warm = new ProcessContainer())
        {
            parent = Path.GetDirectoryName(warm.CgroupPath)!;
        }

        ProcessContainer? made = null;
        Exception? failure = null;
        Descriptors.Shortage shortage = Descriptors.LeaveFree(free);
        try
        {
            made = new ProcessContainer();
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            shortage.Dispose();
        }

        Report("fill-errno", shortage.FillErrno);
        Report("first", failure is null ? "ok" : WatcherModes.Describe(failure));
        made?.Dispose();
        Report("left", OwnCgroups(parent).Count);

        using (var second = new ProcessContainer())
        {
            Report("second", Directory.Exists(second.CgroupPath) ? "ok" : "no directory");
        }

        Report("left-at-end", OwnCgroups(parent).Count);
        say("done");
        return 0;
    }

    /// <summary>The cgroups this process made (oskill-PID-...) that are still in <paramref name="parent"/>.</summary>
    internal static List<string> OwnCgroups(string parent) =>
        Directory.GetDirectories(parent, $"oskill-{Environment.ProcessId}-*").ToList();
}
