using OsKill.Extensions.Hosting.Tests.Infrastructure;

namespace OsKill.Extensions.Hosting.Tests;

/// <summary>Bad configuration fails the host's start with a message that names the child and the setting, and starts nothing.</summary>
public class ConfigurationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("FileName", "", "Child process 'bad': FileName is empty")]
    [InlineData("StopSignal", "SIGFOO", "Child process 'bad': StopSignal 'SIGFOO' is not a signal here")]
    [InlineData("GracePeriod", "-00:00:01", "Child process 'bad': GracePeriod -00:00:01 is negative")]
    [InlineData("WorkingDirectory", "/nonexistent/oskill-hosting-test", "Child process 'bad': WorkingDirectory '/nonexistent/oskill-hosting-test' does not exist")]
    [InlineData("MaxRestarts", "-1", "Child process 'bad': MaxRestarts -1 is negative")]
    [InlineData("ExitPolicy", "Sometimes", "Children:bad:ExitPolicy")]
    public async Task A_bad_setting_fails_the_start_naming_it_and_starts_nothing(string key, string value, string expected)
    {
        HostConfig config = new HostConfig().Shell("a-good", Children.Sleeper);
        if (key != "FileName")
        {
            config.Shell("bad", Children.Sleeper);
        }

        config.Set($"Children:bad:{key}", value);
        await using var host = HostProcess.Start(config);
        int exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(host.Output);

        Assert.Equal(70, exitCode);   // the TestHost's code for an exception out of RunAsync
        string failed = Assert.Single(host.LinesWith("host failed: "));
        Assert.Contains(expected, failed, StringComparison.Ordinal);
        Assert.Empty(host.LinesWith(" started: pid "));
        Assert.Empty(host.LinesWith("ready "));
        Assert.Empty(Trees.Alive(host.Marker));
    }

    /// <summary>A program that is not there: by name (not on PATH), or by a path (ProcessContainer.Start promises ENOENT for both).</summary>
    [Theory]
    [InlineData("oskill-hosting-test-no-such-program")]
    [InlineData("/nonexistent/oskill-hosting-test")]
    public async Task A_program_that_cannot_start_fails_the_start_and_ends_the_children_started_before_it(string program)
    {
        await using var host = HostProcess.Start(new HostConfig()
            .Shell("a-good", Children.Sleeper)
            .Set("Children:b-missing:FileName", program));
        int exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(host.Output);

        Assert.Equal(70, exitCode);
        string failed = Assert.Single(host.LinesWith("host failed: "));
        Assert.Contains($"Child process 'b-missing': cannot start '{program}' (FileName)", failed, StringComparison.Ordinal);
        Assert.Single(host.LinesWith("Child process a-good started: pid "));
        Assert.Empty(host.LinesWith("ready "));
        Assert.Empty(Trees.Alive(host.Marker));
    }
}
