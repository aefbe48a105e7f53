namespace OsKill.Tests;

public class SmokeTests
{
    [Fact]
    public async Task Sigusr1_reaches_a_child_that_catches_it()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        Os.Kill(child.Pid, Signal.SIGUSR1);
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
    }
}
