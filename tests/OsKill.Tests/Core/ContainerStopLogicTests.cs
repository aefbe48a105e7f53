using OsKill.Core;

namespace OsKill.Tests.Core;

/// <summary>
/// The container stop's logic over <see cref="FakeContainerBackend"/>: which members each step
/// reaches in each kill mode, when the last step goes, and which step each member is recorded as
/// ended by. ContainerStopTests check the same against a real cgroup.
/// </summary>
public class ContainerStopLogicTests
{
    private const int Term = 15;
    private const int Kill = FakeContainerBackend.Kill;
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Control_group_mode_sends_every_step_to_every_member_and_records_the_step_that_ended_each()
    {
        var backend = new FakeContainerBackend();
        backend.AddMember(10, s => s is Term or Kill);
        backend.AddMember(11, s => s is Term or Kill);
        backend.AddMember(12, s => s is Kill);

        ContainerStopResult result = await ContainerStop.RunAsync(backend, null, 10, Chain(TimeSpan.FromMilliseconds(200)), ContainerKillMode.ControlGroup, Ct);

        Assert.Equal(StopOutcome.ExitedAtStep, result.Outcome);
        Assert.Equal(1, result.StepIndex);
        Assert.Equal([(Term, [10, 11, 12]), (Kill, [12])], backend.Sends.Select(s => (s.Signal, s.Pids.ToArray())).ToList(), new SendComparer());
        Assert.Equal([(10, 0), (11, 0), (12, 1)], result.Members.Select(m => (m.Pid, m.StepIndex ?? -1)));
        Assert.True(result.Members[0].IsMain);
    }

    [Fact]
    public async Task Mixed_mode_sends_the_polite_step_to_the_main_process_only_then_the_last_step_at_once()
    {
        var backend = new FakeContainerBackend();
        backend.AddMember(10, s => s is Term or Kill);
        backend.AddMember(11, s => s is Term or Kill);
        using var main = ProcessHandle.FromCore(new FakeContainerBackend.MainCore(backend, 10));

        // The polite step's timeout is an hour: the last step must go when the main process exits.
        Task<ContainerStopResult> stop = ContainerStop.RunAsync(backend, main, 10, Chain(Long), ContainerKillMode.Mixed, Ct);
        Assert.Same(stop, await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(30), Ct)));
        ContainerStopResult result = await stop;

        Assert.Equal(1, result.StepIndex);
        Assert.Equal([(Kill, [11])], backend.Sends.Select(s => (s.Signal, s.Pids.ToArray())).ToList(), new SendComparer());
        Assert.Equal([(10, 0), (11, 1)], result.Members.Select(m => (m.Pid, m.StepIndex ?? -1)));
    }

    [Fact]
    public async Task Mixed_mode_whose_main_process_ignores_the_polite_step_waits_it_out_then_sends_the_last_step_to_all()
    {
        var backend = new FakeContainerBackend();
        backend.AddMember(10, s => s is Kill);
        backend.AddMember(11, s => s is Term or Kill);
        using var main = ProcessHandle.FromCore(new FakeContainerBackend.MainCore(backend, 10));

        ContainerStopResult result = await ContainerStop.RunAsync(backend, main, 10, Chain(TimeSpan.FromMilliseconds(200)), ContainerKillMode.Mixed, Ct);

        Assert.Equal(1, result.StepIndex);
        Assert.Equal([(Kill, [10, 11])], backend.Sends.Select(s => (s.Signal, s.Pids.ToArray())).ToList(), new SendComparer());
        Assert.Equal([(10, 1), (11, 1)], result.Members.Select(m => (m.Pid, m.StepIndex ?? -1)));
    }

    [Fact]
    public async Task Mixed_mode_with_no_main_process_goes_to_the_last_step_at_once()
    {
        var backend = new FakeContainerBackend();
        backend.AddMember(11, s => s is Term or Kill);

        ContainerStopResult result = await ContainerStop.RunAsync(backend, null, null, Chain(Long), ContainerKillMode.Mixed, Ct);

        Assert.Equal(1, result.StepIndex);
        Assert.Equal([(Kill, [11])], backend.Sends.Select(s => (s.Signal, s.Pids.ToArray())).ToList(), new SendComparer());
    }

    [Fact]
    public async Task A_member_forked_during_a_step_is_recorded_and_ended_by_a_later_step()
    {
        var backend = new FakeContainerBackend();
        backend.AddMember(10, s => s is Term or Kill);
        backend.Forks[(10, Term)] = (20, s => s is Kill);

        ContainerStopResult result = await ContainerStop.RunAsync(backend, null, null, Chain(TimeSpan.FromMilliseconds(200)), ContainerKillMode.ControlGroup, Ct);

        Assert.Equal([(10, 0), (20, 1)], result.Members.Select(m => (m.Pid, m.StepIndex ?? -1)));
    }

    [Fact]
    public async Task An_empty_container_sends_nothing()
    {
        var backend = new FakeContainerBackend();

        ContainerStopResult result = await ContainerStop.RunAsync(backend, null, null, Chain(Long), ContainerKillMode.ControlGroup, Ct);

        Assert.Equal(StopOutcome.AlreadyExited, result.Outcome);
        Assert.Empty(backend.Sends);
        Assert.Empty(result.Members);
    }

    [Fact]
    public async Task Members_that_outlast_every_step_are_recorded_as_still_running()
    {
        var backend = new FakeContainerBackend();
        backend.AddMember(10, _ => false);
        backend.AddMember(11, s => s is Term);

        ContainerStopResult result = await ContainerStop.RunAsync(backend, null, null, new StopOptions([StopStep.SendSignal(Term, TimeSpan.FromMilliseconds(100))]), ContainerKillMode.ControlGroup, Ct);

        Assert.Equal(StopOutcome.StillRunning, result.Outcome);
        Assert.Equal([(10, -1), (11, 0)], result.Members.Select(m => (m.Pid, m.StepIndex ?? -1)));
    }

    private static StopOptions Chain(TimeSpan grace) =>
        new([StopStep.SendSignal(Term, grace), StopStep.SendSignal(Kill, TimeSpan.FromSeconds(10))]);

    private sealed class SendComparer : IEqualityComparer<(int Signal, int[] Pids)>
    {
        public bool Equals((int Signal, int[] Pids) x, (int Signal, int[] Pids) y) => x.Signal == y.Signal && x.Pids.SequenceEqual(y.Pids);

        public int GetHashCode((int Signal, int[] Pids) obj) => obj.Signal;
    }
}
