using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;

namespace OsKill.Cli.Tests;

/// <summary>
/// The NativeAOT front, <c>oskill</c>: it sends the plain shapes itself and execs the full
/// <c>OsKill.Cli</c> beside it for the rest. .ci/run publishes the pair and runs every test of
/// this project against the front (OSKILL_CLI), so all the other classes hold it to the full
/// binary's messages and statuses; this one checks the hand-over itself.
/// </summary>
public class FrontTests
{
    [Fact]
    public async Task What_the_front_does_not_parse_reaches_the_full_binary()
    {
        CliResult r = await OsKillRun.RunAsync("-l", "130");
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("INT\n", r.Stdout);

        r = await OsKillRun.RunAsync("--help");
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("oskill [-s SIG | -SIG | -NUM | -p]", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oskill_run_reaches_the_full_binary()
    {
        // "run" is no pid: the front hands it over, and the full binary supervises CMD.
        Assert.Null(FastPath.TryParse(["run", "--", "7"]));
        CliResult r = await OsKillRun.RunAsync("run", "--", "sh", "-c", "echo supervised; exit 7");
        Assert.True(r.ExitCode == 7, r.ToString());
        Assert.Equal("supervised\n", r.Stdout);
        Assert.Equal(string.Empty, r.Stderr);
    }

    [Fact]
    public async Task The_front_alone_sends_the_plain_shapes_and_names_the_missing_full_binary()
    {
        string? front = OsKillRun.Native;
        Assert.SkipUnless(
            front is not null && File.Exists(Path.Combine(Path.GetDirectoryName(front)!, "OsKill.Cli")),
            "OSKILL_CLI does not name a published front (an oskill with OsKill.Cli beside it); .ci/run's NativeAOT stage does");

        // A copy of the front with no OsKill.Cli beside it: what it sends, it sends itself.
        DirectoryInfo alone = Directory.CreateTempSubdirectory("oskill-front-");
        try
        {
            string copy = Path.Combine(alone.FullName, "oskill");
            File.Copy(front!, copy);
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);

            using Child sleep = await StartSleepAsync();
            Expect.Quiet(await OsKillRun.RunCommandAsync([copy, "-0", Text(sleep.Pid)]));
            CliResult r = await OsKillRun.RunCommandAsync([copy, "-s", "KILL", Text(NoSuchProcess()), Text(sleep.Pid)]);
            Assert.Equal(64, r.ExitCode);
            Assert.Equal($"oskill: ({NoSuchProcess()}): No such process\n", r.Stderr);
            Assert.Equal(128 + 9, await sleep.WaitForExitAsync());

            // Anything else needs the full binary, and says so: its path and the reason.
            r = await OsKillRun.RunCommandAsync([copy, "-l", "130"]);
            Expect.Clean(r);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal(string.Empty, r.Stdout);
            Assert.Equal($"oskill: cannot run {Path.Combine(alone.FullName, "OsKill.Cli")}: No such file or directory\n", r.Stderr);
        }
        finally
        {
            alone.Delete(recursive: true);
        }
    }
}
