using OsKill.Cli.Tests.Infrastructure;

namespace OsKill.Cli.Tests;

/// <summary>
/// -l, -l ARG and -L. Off a terminal the output must be util-linux kill(1)'s byte for byte. Debian's
/// /bin/kill is procps, whose format differs, and util-linux's kill is not packaged here, so the
/// expected text below was derived from util-linux's misc-utils/kill.c (print_all_signals,
/// print_signal_name, arg_to_signum) and lib/signames.c (the name table) for glibc x86_64 Linux:
/// names wrapped before column 72 then " RT&lt;N&gt; RTMIN+&lt;N&gt; RTMAX-&lt;N&gt;"; -L cells "%2d %-8s",
/// 11 wide, as many as fit in COLUMNS-1 (72 without COLUMNS), then RTMIN and RTMAX.
/// </summary>
public class ListingTests
{
    public const string UtilLinuxNames =
        "HUP INT QUIT ILL TRAP ABRT IOT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM\n" +
        "TERM STKFLT CHLD CLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF\n" +
        "WINCH IO POLL PWR SYS RT<N> RTMIN+<N> RTMAX-<N>\n";

    public const string UtilLinuxTable =
        " 1 HUP      2 INT      3 QUIT     4 ILL      5 TRAP     6 ABRT    \n" +
        " 6 IOT      7 BUS      8 FPE      9 KILL    10 USR1    11 SEGV    \n" +
        "12 USR2    13 PIPE    14 ALRM    15 TERM    16 STKFLT  17 CHLD    \n" +
        "17 CLD     18 CONT    19 STOP    20 TSTP    21 TTIN    22 TTOU    \n" +
        "23 URG     24 XCPU    25 XFSZ    26 VTALRM  27 PROF    28 WINCH   \n" +
        "29 IO      29 POLL    30 PWR     31 SYS     34 RTMIN   64 RTMAX   \n";

    // COLUMNS=40: a width of 39 holds three cells.
    public const string UtilLinuxTable40 =
        " 1 HUP      2 INT      3 QUIT    \n 4 ILL      5 TRAP     6 ABRT    \n 6 IOT      7 BUS      8 FPE     \n" +
        " 9 KILL    10 USR1    11 SEGV    \n12 USR2    13 PIPE    14 ALRM    \n15 TERM    16 STKFLT  17 CHLD    \n" +
        "17 CLD     18 CONT    19 STOP    \n20 TSTP    21 TTIN    22 TTOU    \n23 URG     24 XCPU    25 XFSZ    \n" +
        "26 VTALRM  27 PROF    28 WINCH   \n29 IO      29 POLL    30 PWR     \n31 SYS     34 RTMIN   64 RTMAX   \n";

    [Theory]
    [InlineData("-l")]
    [InlineData("--list")]
    public async Task List_prints_util_linux_names_off_a_terminal(string option)
    {
        CliResult r = await OsKillRun.RunAsync(option);
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(UtilLinuxNames, r.Stdout);
        Assert.Equal(string.Empty, r.Stderr);
    }

    [Theory]
    [InlineData("-L")]
    [InlineData("--table")]
    public async Task Table_prints_util_linux_cells_off_a_terminal(string option)
    {
        CliResult r = await OsKillRun.RunAsync(option);
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(UtilLinuxTable, r.Stdout);
    }

    [Fact]
    public async Task Table_follows_COLUMNS_as_util_linux_does()
    {
        CliResult r = await OsKillRun.RunWithEnvironmentAsync(new Dictionary<string, string> { ["COLUMNS"] = "40" }, "-L");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(UtilLinuxTable40, r.Stdout);
    }

    [Fact]
    public async Task List_with_an_exit_status_names_the_signal_as_a_process()
    {
        // The shell idiom: a command killed by SIGKILL exits with 137.
        CliResult r = await OsKillRun.RunAsync("-l", "137");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("KILL\n", r.Stdout);

        r = await OsKillRun.RunAsync("--list=0x4003");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("HUP\nINT\nTERM\n", r.Stdout);
    }

    // Expected values follow util-linux: a number of NSIG (65) or more with bit 128 set loses the
    // 128; the name is the primary one; real-time signals print as RT<n>; a number with no name
    // (0, glibc's 32 and 33) prints as itself; a mask prints one name per set bit.
    [Theory]
    [InlineData("130", "INT\n")]
    [InlineData("143", "TERM\n")]
    [InlineData("9", "KILL\n")]
    [InlineData("0", "0\n")]
    [InlineData("128", "0\n")]
    [InlineData("32", "32\n")]
    [InlineData("33", "33\n")]
    [InlineData("34", "RT0\n")]
    [InlineData("64", "RT30\n")]
    [InlineData("192", "RT30\n")]
    [InlineData("162", "RT0\n")]
    [InlineData("009", "KILL\n")]
    [InlineData("iot", "ABRT\n")]
    [InlineData("SIGCLD", "CHLD\n")]
    [InlineData("poll", "IO\n")]
    [InlineData("rtmin+3", "RT3\n")]
    [InlineData("RTMAX-1", "RT29\n")]
    [InlineData("0x0", "")]
    [InlineData("0x1", "HUP\n")]
    [InlineData("0x3", "HUP\nINT\n")]
    [InlineData("0x80000000", "32\n")]
    [InlineData("0x8000000000000000", "RT30\n")]
    [InlineData("0x0000000000000000000100", "KILL\n")]
    [InlineData("0xffff7fff", "HUP\nINT\nQUIT\nILL\nTRAP\nABRT\nBUS\nFPE\nKILL\nUSR1\nSEGV\nUSR2\nPIPE\nALRM\nTERM\nCHLD\nCONT\nSTOP\nTSTP\nTTIN\nTTOU\nURG\nXCPU\nXFSZ\nVTALRM\nPROF\nWINCH\nIO\nPWR\nSYS\n32\n")]
    public void List_decodes_numbers_exit_statuses_names_and_masks(string arg, string expected)
    {
        CliResult r = OsKillRun.RunInProcess(["-l", arg]);
        Expect.Clean(r);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(expected, r.Stdout);

        // The procps-compatible spelling with '=' gives the same.
        Assert.Equal(expected, OsKillRun.RunInProcess([$"--list={arg}"]).Stdout);
    }

    [Theory]
    [InlineData("65", "unknown signal: 65")]
    [InlineData("193", "unknown signal: 193")]
    [InlineData("256", "unknown signal: 256")]
    [InlineData("384", "unknown signal: 384")]
    [InlineData("99999999999", "unknown signal: 99999999999")]
    [InlineData("-5", "unknown signal: -5")]
    [InlineData("+5", "unknown signal: +5")]
    [InlineData("FOO", "unknown signal: FOO")]
    [InlineData("RTMIN+31", "unknown signal: RTMIN+31")]
    [InlineData("0X3", "unknown signal: 0X3")]
    [InlineData("0x", "invalid sigmask format: 0x")]
    [InlineData("0xZZ", "invalid sigmask format: 0xZZ")]
    [InlineData("0x10000000000000000", "invalid sigmask format: 0x10000000000000000")]
    public void List_rejects_what_is_no_signal(string arg, string message)
    {
        Expect.UsageError(OsKillRun.RunInProcess(["-l", arg]), message);
    }

    [Fact]
    public async Task List_refuses_more_than_one_argument_and_targets()
    {
        Expect.UsageError(await OsKillRun.RunAsync("-l", "1", "2"), "too many arguments");
        Expect.UsageError(OsKillRun.RunInProcess(["-L", "1"]), "too many arguments");
        Expect.UsageError(OsKillRun.RunInProcess(["-L", "-l"]), "cannot be combined");
    }

    [Fact]
    public void On_a_terminal_the_list_is_a_table_with_descriptions()
    {
        CliResult r = OsKillRun.RunInProcess(["-l"], terminal: true);
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Stdout.Split('\n');
        Assert.Equal("Signals on Linux:", lines[0]);
        Assert.Contains("  1  HUP      Hangup", lines);
        Assert.Contains("  6  ABRT     Aborted (also IOT)", lines);
        Assert.Contains(" 17  CHLD     Child exited (also CLD)", lines);
        Assert.Contains(" 15  TERM     Terminated", lines);
        Assert.Contains(lines, l => l.StartsWith("34-64  real-time signals", StringComparison.Ordinal));

        // Each primary name once; aliases only beside their primary.
        Assert.Equal(31, lines.Count(l => l.Length > 3 && char.IsAsciiDigit(l[2]) && l[3] == ' ' && !l.StartsWith("34-", StringComparison.Ordinal)));
    }

    [Fact]
    public void On_a_terminal_the_table_lists_every_signal_with_its_description()
    {
        CliResult r = OsKillRun.RunInProcess(["-L"], terminal: true);
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Stdout.Split('\n');
        Assert.Contains("  9  KILL     Killed", lines);
        Assert.Contains(" 34  RT0      Real-time signal 0 (RTMIN+0, RTMAX-30)", lines);
        Assert.Contains(" 64  RT30     Real-time signal 30 (RTMIN+30, RTMAX-0)", lines);

        // 1..31 and 34..64: every valid signal of glibc Linux, once.
        int[] numbers = [.. lines.Where(l => l.Length > 4 && l[3] == ' ' && l[4] == ' ' && int.TryParse(l[..3], out _)).Select(l => int.Parse(l[..3]))];
        Assert.Equal([.. Enumerable.Range(1, 31), .. Enumerable.Range(34, 31)], numbers);
    }
}
