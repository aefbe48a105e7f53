using OsKill.Extensions.Hosting.Tests.Infrastructure;

namespace OsKill.Extensions.Hosting.Tests;

/// <summary>A child's stdout and stderr, line by line, in the host's log under OsKill.Child.&lt;name&gt; (and its environment and working directory from configuration).</summary>
public class OutputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Stdout_and_stderr_lines_are_logged_under_the_childs_category_at_their_levels()
    {
        await using var host = HostProcess.Start(new HostConfig()
            .ShutdownTimeout(TimeSpan.FromSeconds(5))
            .Shell("talker", "echo \"out $GREETING in $PWD\"; echo \"err $GREETING\" >&2; echo ready; exec sleep 1000", ("Environment:GREETING", "hello there"), ("WorkingDirectory", "/usr/bin"))
            .Shell("urgent", "echo 'bad news' >&2; echo ready; exec sleep 1000", ("StandardErrorLogLevel", "Error"))
            .Shell("unlogged", "echo 'raw line'; exec sleep 1000", ("LogOutput", "false")));
        await host.WaitReadyAsync("talker", "urgent");
        await host.WaitForLineAsync(l => l == "raw line", HostProcess.StartTimeout);
        Assert.Equal(0, (await host.SignalAndWaitAsync(Signal.SIGTERM)).ExitCode);
        output.WriteLine(host.Output);

        Assert.Single(host.LinesWith(" info: OsKill.Child.talker[100] out hello there in /usr/bin"));
        Assert.Single(host.LinesWith(" warn: OsKill.Child.talker[101] err hello there"));
        Assert.Single(host.LinesWith(" fail: OsKill.Child.urgent[101] bad news"));

        // LogOutput false: the child writes to the host's own stdout, not through the log.
        Assert.Empty(host.LinesWith("OsKill.Child.unlogged"));
        Assert.Empty(Trees.Alive(host.Marker));
    }
}
