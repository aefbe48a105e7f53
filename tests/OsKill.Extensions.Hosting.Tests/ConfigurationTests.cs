using OsKill.Extensions.Hosting.Tests.Infrastructure;

namespace OsKill.Extensions.Hosting.Tests;

/// <summary>Bad configuration fails the host's start with a message that names the child and the setting, and starts nothing.</summary>
public class ConfigurationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("FileName", "", "Child process 'bad': FileName is empty")]
    [InlineData("FileName", "/nonexistent/oskill-hosting-test", "Child process 'bad': FileName '/nonexistent/oskill-hosting-test' is not found (no such file)")]
    [InlineData("FileName", "/etc/passwd", "Child process 'bad': FileName '/etc/passwd' is not executable")]   // 0644 on every Debian
    [InlineData("FileName", "oskill-hosting-test-no-such-program", "Child process 'bad': FileName 'oskill-hosting-test-no-such-program' is not found")]
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

    /// <summary>
    /// A program the start cannot run though the check at start finds it (a file on PATH without
    /// the execute bits): the start fails naming the setting, and the children started before it
    /// are ended.
    /// </summary>
    [Fact]
    public async Task A_program_that_cannot_start_fails_the_start_and_ends_the_children_started_before_it()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("oskill-hosting-test-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "oskill-not-executable"), "#!/bin/sh\n");
            await using var host = HostProcess.Start(
                new HostConfig()
                    .Shell("a-good", Children.Sleeper)
                    .Set("Children:b-noexec:FileName", "oskill-not-executable"),
                environment: new Dictionary<string, string> { ["PATH"] = dir.FullName + ":" + Environment.GetEnvironmentVariable("PATH") });
            int exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine(host.Output);

            Assert.Equal(70, exitCode);
            string failed = Assert.Single(host.LinesWith("host failed: "));
            Assert.Contains("Child process 'b-noexec': cannot start 'oskill-not-executable' (FileName)", failed, StringComparison.Ordinal);
            Assert.Single(host.LinesWith("Child process a-good started: pid "));
            Assert.Empty(host.LinesWith("ready "));
            Assert.Empty(Trees.Alive(host.Marker));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The start finds a program by a bare name as Process.Start does, on the host's PATH (the
    /// child's environment is the program's, not the search's): the check at start must not reject
    /// what the start would run because the child is given a PATH of its own.
    /// </summary>
    [Fact]
    public async Task A_bare_name_on_the_hosts_PATH_starts_whatever_PATH_the_child_is_given()
    {
        await using var host = HostProcess.Start(new HostConfig()
            .Set("Children:own-path:FileName", "sh")
            .Set("Children:own-path:Arguments:0", "-c")
            .Set("Children:own-path:Arguments:1", "echo \"ready with $PATH\"; exec /bin/sleep 1000")
            .Set("Children:own-path:Environment:PATH", "/nonexistent/oskill-hosting-test-bin"));
        try
        {
            await host.WaitForChildOutputAsync("own-path", "ready with /nonexistent/oskill-hosting-test-bin");
        }
        finally
        {
            output.WriteLine(host.Output);
        }

        Assert.Equal(0, (await host.SignalAndWaitAsync(Signal.SIGTERM)).ExitCode);
        Assert.Empty(Trees.Alive(host.Marker));
    }
}
