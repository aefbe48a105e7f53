using OsKill.Extensions.Hosting.Tests.Infrastructure;

namespace OsKill.Extensions.Hosting.Tests;

/// <summary>A child's own stop settings from configuration: its polite signal and which members of its container get it.</summary>
public class StopSettingsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task StopSignal_and_KillMode_Mixed_shape_the_childs_stop()
    {
        await using var host = HostProcess.Start(new HostConfig()
            .ShutdownTimeout(TimeSpan.FromSeconds(10))
            .Shell("int-only", "trap '' TERM; trap 'exit 0' INT; echo ready; while :; do sleep 1 & wait $!; done", ("StopSignal", "SIGINT"))
            .Bash("mixed", Children.DoubleForker, ("KillMode", "Mixed"), ("GracePeriod", "00:00:05")));
        Dictionary<string, int> pids = await host.WaitReadyAsync("int-only", "mixed");
        string line = await host.WaitForChildOutputAsync("mixed", "grandchild ");
        int grandchild = int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Trees.Seen grandchildSeen = (await Trees.WaitForAliveAsync(host.Marker, 1, TimeSpan.FromSeconds(10), alive => alive.Any(s => s.Pid == grandchild))).Single(s => s.Pid == grandchild);

        (int exitCode, _) = await host.SignalAndWaitAsync(Signal.SIGTERM);
        output.WriteLine(host.Output);
        Assert.Equal(0, exitCode);

        // SIGINT, not SIGTERM (which it ignores), ended it at the polite step.
        StopLine intOnly = host.StopOf("int-only");
        Assert.Equal((0, "SIGINT", 0), (intOnly.StepIndex, intOnly.StepSignal, intOnly.ExitCode));

        // Mixed: the polite signal went to the main process only; the grandchild, in its own
        // session and left alone by it, was ended by the forced step, which came as soon as the
        // main process had exited, not after the 5 s grace period.
        StopLine mixed = host.StopOf("mixed");
        Assert.Equal((1, "SIGKILL", 128 + Signal.SIGTERM), (mixed.StepIndex, mixed.StepSignal, mixed.ExitCode));
        Assert.True(mixed.ElapsedMs < 4000, $"the forced step waited for the grace period: {mixed.Line}");
        Assert.Contains($"killed: [{grandchild}]", mixed.Line, StringComparison.Ordinal);
        Assert.DoesNotContain(pids["mixed"].ToString(System.Globalization.CultureInfo.InvariantCulture), mixed.Line[mixed.Line.IndexOf("killed:", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.False(Trees.StillAlive(grandchildSeen));
        Assert.Empty(Trees.Alive(host.Marker));
    }
}
