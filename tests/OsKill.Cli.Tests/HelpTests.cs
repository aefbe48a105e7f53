using OsKill.Cli.Tests.Infrastructure;

namespace OsKill.Cli.Tests;

/// <summary>Help, version and shell completion, from System.CommandLine.</summary>
public class HelpTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-?")]
    [InlineData("-s", "KILL", "--help")]
    public async Task Help_describes_every_option_the_exit_statuses_and_Windows(params string[] args)
    {
        CliResult r = await OsKillRun.RunAsync(args);
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Empty, r.Stderr);
        foreach (string expected in new[]
        {
            "Usage:", "oskill [", "-s, --signal <SIG>", "-q, --queue <VALUE>", "--timeout <MS SIG>",
            "-v, --verbose", "-l, --list <NUM|EXITSTATUS|0xMASK>", "-L, --table", "--version",
            "oskill [-s SIG | -SIG | -NUM] [-q VALUE] [--timeout MS SIG]... [-v] [--] PID|-PGID...",
            "Exit status:", "64  some targets", "Windows:", "-s INT sends Ctrl+C", "-s BREAK sends Ctrl+Break",
            "exit code",
        })
        {
            Assert.Contains(expected, r.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("OsKill.Cli", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        CliResult r = await OsKillRun.RunAsync("--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", r.Stdout);
    }

    [Fact]
    public async Task Completion_suggests_signal_names()
    {
        // dotnet-suggest's protocol: [suggest:CURSOR] "the command line".
        CliResult r = await OsKillRun.RunAsync("[suggest:12]", "oskill -s US");
        Assert.Equal(0, r.ExitCode);
        string[] suggestions = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("USR1", suggestions);
        Assert.Contains("USR2", suggestions);
        Assert.DoesNotContain("KILL", suggestions);

        r = await OsKillRun.RunAsync("[suggest:9]", "oskill --");
        Assert.Contains("--signal", r.Stdout.Split('\n'));
        Assert.Contains("--timeout", r.Stdout.Split('\n'));
    }
}
