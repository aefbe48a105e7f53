using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;

namespace OsKill.Cli.Tests;

/// <summary>
/// Output that cannot be written never stops the sending: with stdout or stderr on a full disk,
/// closed, or a pipe nobody reads, every target is still signalled, and the status follows
/// util-linux's close_stdout (docs/cli.md, "Exit status and errors"): a stdout that failed prints
/// "oskill: write error: REASON" once every signal is sent and turns a 0 into 1; 1 and 64 stay.
/// A reader gone (EPIPE) is no error. The targets are three siginfo receivers, which report each
/// signal they get; a receiver that got nothing says "timeout" after 10 s.
/// </summary>
/// <remarks>
/// The shapes with <c>-v</c> run the full binary; <c>-s USR1 PID...</c> without it is the front's
/// own when OSKILL_CLI names the front, so both binaries' writers are held to this.
/// </remarks>
public class OutputFailureTests(SigInfoReceiver receivers) : IClassFixture<SigInfoReceiver>
{
    private const string NoSpace = "No space left on device";
    private const string BadDescriptor = "Bad file descriptor";

    [Theory]
    [InlineData(">/dev/full", true, false, 1, $"oskill: write error: {NoSpace}\n")]
    [InlineData(">/dev/full", true, true, 64, $"oskill: ({{0}}): No such process\noskill: write error: {NoSpace}\n")]
    [InlineData(">&-", true, false, 1, $"oskill: write error: {BadDescriptor}\n")]
    [InlineData(">&-", true, true, 64, $"oskill: ({{0}}): No such process\noskill: write error: {BadDescriptor}\n")]
    [InlineData("2>&-", false, true, 64, "")]
    [InlineData("2>&-", true, true, 64, "")]
    [InlineData("2>/dev/full", false, true, 64, "")]
    [InlineData(">/dev/full 2>&-", true, false, 1, "")]
    [InlineData(">&- 2>/dev/full", true, true, 64, "")]
    public async Task Every_target_is_signalled_whatever_happens_to_the_output(
        string redirection, bool verbose, bool missingFirst, int status, string stderr)
    {
        Child[] targets = await StartReceiversAsync();
        try
        {
            CliResult r = await OsKillRun.RunRedirectedAsync(redirection, Arguments(verbose, missingFirst, targets));
            await AssertEachGotUsr1Async(targets, r);
            Expect.Clean(r);
            Assert.True(r.ExitCode == status, $"expected status {status}: {r}");
            Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, stderr, NoSuchProcess()), r.Stderr);
        }
        finally
        {
            Dispose(targets);
        }
    }

    [Theory]
    [InlineData(false, false, 0)]
    [InlineData(true, false, 0)]
    [InlineData(false, true, 64)]
    [InlineData(true, true, 64)]
    public async Task A_reader_gone_is_no_error_and_stops_nothing(bool verbose, bool missingFirst, int status)
    {
        Child[] targets = await StartReceiversAsync();
        try
        {
            CliResult r = await OsKillRun.RunIntoBrokenPipeAsync(stderrToo: true, Arguments(verbose, missingFirst, targets));
            await AssertEachGotUsr1Async(targets, r);
            Expect.Clean(r);
            Assert.True(r.ExitCode == status && r.Stdout.Length == 0 && r.Stderr.Length == 0, $"expected status {status} and silence: {r}");
        }
        finally
        {
            Dispose(targets);
        }
    }

    [Theory]
    [InlineData(">/dev/full", 1, $"oskill: write error: {NoSpace}\n", "-l")]
    [InlineData(">/dev/full", 1, $"oskill: write error: {NoSpace}\n", "--help")]
    [InlineData(">&-", 1, $"oskill: write error: {BadDescriptor}\n", "-L")]
    [InlineData(">&-", 1, $"oskill: write error: {BadDescriptor}\n", "--version")]
    [InlineData("2>&-", 0, "", "-l", "130")]
    public async Task Listings_and_help_that_cannot_be_written_say_so_in_one_line(string redirection, int status, string stderr, params string[] args)
    {
        CliResult r = await OsKillRun.RunRedirectedAsync(redirection, args);
        Expect.Clean(r);
        Assert.True(r.ExitCode == status && r.Stderr == stderr, $"expected status {status} and stderr {stderr}: {r}");
    }

    private static string[] Arguments(bool verbose, bool missingFirst, Child[] targets) =>
    [
        .. verbose ? ["-v"] : Array.Empty<string>(),
        "-s",
        "USR1",
        .. missingFirst ? [Text(NoSuchProcess())] : Array.Empty<string>(),
        .. targets.Select(t => Text(t.Pid)),
    ];

    private async Task<Child[]> StartReceiversAsync()
    {
        var started = new List<Child>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                started.Add(await receivers.StartAsync(1, Signal.SIGUSR1));
            }

            return [.. started];
        }
        catch
        {
            Dispose([.. started]);
            throw;
        }
    }

    // Each receiver takes what is pending once its stdin closes: "got 10 0 ..." (SIGUSR1, SI_USER),
    // or "timeout" when nothing came.
    private static async Task AssertEachGotUsr1Async(Child[] targets, CliResult run)
    {
        foreach (Child target in targets)
        {
            target.CloseInput();
        }

        var missed = new List<string>();
        foreach (Child target in targets)
        {
            string line = await target.WaitForLineAsync(l => l.StartsWith("got ", StringComparison.Ordinal) || l == "timeout");
            if (!line.StartsWith($"got {Signal.SIGUSR1} 0 ", StringComparison.Ordinal))
            {
                missed.Add($"pid {target.Pid}: {line}");
            }
        }

        Assert.True(missed.Count == 0, $"not every target got USR1 ({string.Join("; ", missed)}); oskill: {run}");
        foreach (Child target in targets)
        {
            Assert.Equal(0, await target.WaitForExitAsync());
        }
    }

    private static void Dispose(Child[] targets)
    {
        foreach (Child target in targets)
        {
            target.Dispose();
        }
    }
}
