using System.Globalization;

namespace OsKill.Testing;

/// <summary>
/// Processes of an unprivileged user, uid and gid 65534 (nobody), started by root through
/// util-linux's setpriv. Such a process must be able to reach what it runs: the test child runs
/// from a copy of its output folder in <see cref="SharedTempDirectory"/>, made once per test run,
/// not from the clone, which may sit under a directory that only root can enter.
/// </summary>
public static class Unprivileged
{
    /// <summary>The uid and gid that the processes run as.</summary>
    public const int Uid = 65534;

    private static readonly Lazy<string> s_childDll = new(() =>
    {
        string copy = SharedTempDirectory.CopyDirectory(Path.GetDirectoryName(Child.Dll)!, "test-child");
        return Path.Combine(copy, Path.GetFileName(Child.Dll));
    });

    /// <summary>setpriv with the arguments that drop to uid and gid 65534 and no supplementary groups.</summary>
    public static IReadOnlyList<string> Wrapper { get; } =
        ["setpriv", "--reuid", Text(Uid), "--regid", Text(Uid), "--clear-groups"];

    /// <summary>The copy of the test child that uid 65534 can run.</summary>
    public static string ChildDll => s_childDll.Value;

    /// <summary>The effective uid of the test host, from /proc/self/status.</summary>
    public static int EffectiveUid()
    {
        // "Uid:\treal\teffective\tsaved\tfs"
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
    }

    /// <summary>Skips the test, saying why, unless the test host runs as root (setpriv can switch users only for root).</summary>
    public static void SkipUnlessRoot()
    {
        int uid = EffectiveUid();
        if (uid != 0)
        {
            Assert.Skip($"setpriv can switch to uid {Uid} only for root, and the tests run as uid {uid}");
        }
    }

    /// <summary>
    /// Starts the test child as uid 65534 with these arguments, from its shared copy, and waits for
    /// "ready". Skips the test, saying why, without root or when uid 65534 cannot reach the dotnet
    /// host (a per-user .NET install under a private home directory).
    /// </summary>
    public static Task<Child> StartChildAsync(params string[] args)
    {
        SkipUnlessRoot();
        if (Path.IsPathRooted(Child.DotnetHost) && SharedTempDirectory.WhyUnreachable(Child.DotnetHost) is string why)
        {
            Assert.Skip($"uid {Uid} cannot run the dotnet host {Child.DotnetHost}: {why}");
        }

        return Child.StartCommandAsync([.. Wrapper, Child.DotnetHost, ChildDll, .. args]);
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
