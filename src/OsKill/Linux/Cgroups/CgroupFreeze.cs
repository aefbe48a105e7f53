using System.Runtime.Versioning;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// Runs an action with a cgroup frozen (cgroup.freeze, Linux 5.2+), so that no member forks or
/// exits by itself while the action lists the members and signals each one; children forked into
/// a freezing cgroup are born frozen. Signals sent meanwhile are delivered at the thaw; a fatal one
/// still kills a frozen process.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class CgroupFreeze
{
    /// <summary>How long the freeze may take before the action goes ahead all the same.</summary>
    internal static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    /// <summary>Whether the cgroup can be frozen (cgroup.freeze exists: Linux 5.2+, and not the root cgroup).</summary>
    internal static bool IsSupported(string cgroupPath) => File.Exists(cgroupPath + "/cgroup.freeze");

    /// <summary>
    /// Freezes the cgroup, waits up to <see cref="Limit"/> for "frozen 1" (a member in
    /// uninterruptible sleep does not stop the action), runs <paramref name="action"/> and thaws the
    /// cgroup, whatever the action did.
    /// </summary>
    /// <exception cref="OsException">cgroup.freeze or cgroup.events cannot be written or read.</exception>
    /// <exception cref="UnauthorizedAccessException">cgroup.freeze cannot be written.</exception>
    internal static T While<T>(string cgroupPath, Func<T> action, CancellationToken cancellationToken)
    {
        string freeze = cgroupPath + "/cgroup.freeze";
        CgroupFiles.WriteOrThrow(freeze, "1", "cannot freeze the cgroup " + cgroupPath);
        try
        {
            _ = new CgroupEvents(cgroupPath + "/cgroup.events").WaitFor("frozen", 1, Limit, cancellationToken);
            return action();
        }
        finally
        {
            // Thaw, so that the container takes new processes and the members get what was sent.
            CgroupFiles.WriteOrThrow(freeze, "0", "cannot thaw the cgroup " + cgroupPath);
        }
    }
}
