using System.Reflection;

namespace OsKill.Tests;

/// <summary>
/// The same tree (a root, a setsid member, a double-forked member), its owner on .NET 11 killed
/// with SIGKILL: .NET 11's ProcessStartInfo.KillOnParentExit against an OsKill ProcessContainer.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class OwnerDeathComparisonTests
{
    private static readonly string s_owner = Path.GetFullPath(
        typeof(OwnerDeathComparisonTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Net11Owner").Value!);

    [Fact]
    public async Task Killing_the_owner_leaves_no_member_of_a_container_but_KillOnParentExit_takes_only_the_direct_child()
    {
        if (!ProcessContainer.IsSupported)
        {
            Assert.Skip("no cgroup v2 hierarchy is mounted here (/proc/self/mountinfo has no cgroup2)");
        }

        (string runtime, int root, int[] survivors) theirs = await KillOwnerAsync("kill-on-parent-exit");
        (string runtime, int root, int[] survivors) ours = await KillOwnerAsync("container");

        TestContext.Current.SendDiagnosticMessage(
            $".NET {theirs.runtime} KillOnParentExit: {theirs.survivors.Length} of 3 survived the owner's SIGKILL; ProcessContainer: {ours.survivors.Length} of 3.");
        Assert.StartsWith("11.", theirs.runtime, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs.root, theirs.survivors);
        Assert.Equal(2, theirs.survivors.Length);
        Assert.Empty(ours.survivors);
    }

    /// <summary>Starts the owner in <paramref name="mode"/>, kills it with SIGKILL, and returns the members alive 5 s later (killed before returning).</summary>
    private static async Task<(string Runtime, int Root, int[] Survivors)> KillOwnerAsync(string mode)
    {
        using Child owner = await Child.StartCommandAsync([s_owner, mode]);
        string runtime = owner.Seen.Single(l => l.StartsWith("runtime ", StringComparison.Ordinal))["runtime ".Length..];
        int[] members = owner.Seen.Where(l => l.StartsWith("member ", StringComparison.Ordinal)).Select(l => int.Parse(l["member ".Length..])).ToArray();
        Assert.Equal(3, members.Length);
        var handles = members.Select(ProcessHandle.Open).ToList();
        try
        {
            Os.Kill(owner.Pid, Signal.SIGKILL);
            await owner.WaitForExitAsync();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await Task.WhenAll(handles.Select(h => h.WaitForExitAsync(grace.Token)));
            }
            catch (OperationCanceledException)
            {
            }

            return (runtime, members[2], handles.Where(h => h.IsAlive).Select(h => h.Pid).ToArray());
        }
        finally
        {
            foreach (ProcessHandle h in handles)
            {
                if (h.IsAlive)
                {
                    h.Signal(Signal.SIGKILL);
                }

                h.Dispose();
            }
        }
    }
}
