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
            "-v, --verbose", "-l, --list <NUM|EXITSTATUS|0xMASK>", "-L, --table", "-V, --version",
            "-p, --pid", "-a, --all", "-r, --require-handler", "-d, --show-process-state <PID>",
            "oskill [-s SIG | -SIG | -NUM | -p] [-q VALUE] [--timeout MS SIG]... [-a] [-r] [-v] [--] PID|-PGID|PID:INODE|NAME...",
            "oskill -d PID",
            "Exit status:", "64  some targets", "Windows:", "-s INT sends Ctrl+C", "-s BREAK sends Ctrl+Break",
            "exit code",
        })
        {
            Assert.Contains(expected, r.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("OsKill.Cli", r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("-V")]
    [InlineData("-V", "1234")]
    [InlineData("-s", "KILL", "-V")]
    public async Task Version_prints_util_linux_s_version_line(params string[] args)
    {
        // util-linux: "kill from util-linux 2.41 (with: sigqueue, pidfd)". -V wins over the rest,
        // as there: nothing is sent.
        CliResult r = await OsKillRun.RunAsync(args);
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Empty, r.Stderr);
        Assert.Matches(@"^oskill from OsKill \d+\.\d+\.\d+(-[0-9A-Za-z.]+)? \(with: sigqueue, pidfd, pidfdino, procfs\)\n$", r.Stdout);
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
