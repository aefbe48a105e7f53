using System.Globalization;

namespace OsKill.Tests;

/// <summary>
/// A tree stop whose freeze cannot stop one member (a grandchild in a frozen cgroup v1 freezer sits
/// in uninterruptible sleep and never reaches its SIGSTOP): the stop must go on to its last step
/// and name that member in the result, rather than throw after the polite step and never kill.
/// </summary>
public class TreeStopNotFrozenTests
{
    private const string SmallTree = "( sleep 1000 & wait ) & sleep 1000 & echo ready; wait";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_member_that_never_freezes_does_not_keep_the_last_step_from_running_and_the_result_names_it()
    {
        await TreeStopTests.WithBashTreeAsync(SmallTree, 4, async (bash, before, marker) =>
        {
            int grandchild = before.Single(s => s.Pid != bash.Id && s.ParentPid != bash.Id).Pid;
            await V1Freezer.WithFrozenAsync(grandchild, async cgroup =>
            {
                // Thawed only once the SIGKILL of the last step is pending for it: proof that the
                // last step ran although this member never froze.
                var thaw = Task.Run(
                    async () =>
                    {
                        await V1Freezer.WaitUntilAsync(() => KillPending(grandchild), TimeSpan.FromSeconds(60));
                        V1Freezer.Thaw(cgroup);
                    },
                    Ct);
                using var handle = ProcessHandle.Open(bash.Id);
                var options = new StopOptions([StopStep.SendSignal(Signal.SIGTERM, TimeSpan.FromSeconds(1)), StopStep.SendSignal(Signal.SIGKILL, TimeSpan.FromSeconds(30))]);

                TreeStopResult result = await handle.StopTreeAsync(options, Ct);
                await thaw;

                Assert.True(result.Exited);
                Assert.Equal(1, result.StepIndex);
                Assert.Contains(grandchild, result.NotFrozenPids);
                Assert.True(result.KilledCount >= 1);
                Assert.DoesNotContain(before, Trees.StillAlive);
            });
        });
    }

    /// <summary>Whether SIGKILL is pending for the process (bit 8 of ShdPnd or SigPnd in /proc/PID/status).</summary>
    private static bool KillPending(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if ((line.StartsWith("ShdPnd:", StringComparison.Ordinal) || line.StartsWith("SigPnd:", StringComparison.Ordinal))
                    && (ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << (Signal.SIGKILL - 1))) != 0)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true; // gone: nothing left to thaw for
        }

        return false;
    }
}
