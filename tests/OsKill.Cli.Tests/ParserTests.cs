using OsKill.Cli.Tests.Infrastructure;

namespace OsKill.Cli.Tests;

/// <summary>
/// How command lines are read, without sending anything: the legacy forms, '--', where options end,
/// and that the fast path agrees with System.CommandLine on every shape it takes.
/// </summary>
public class ParserTests
{
    public static TheoryData<string[]> FastShapes => new()
    {
        { new[] { "123" } },
        { new[] { "1", "2", "3" } },
        { new[] { "-9", "123" } },
        { new[] { "-0", "77" } },
        { new[] { "-KILL", "5" } },
        { new[] { "-sigusr1", "8", "9" } },
        { new[] { "-RTMIN+2", "9" } },
        { new[] { "-rt3", "9" } },
        { new[] { "-IOT", "9" } },
        { new[] { "-s", "HUP", "7" } },
        { new[] { "-s", "0", "10" } },
        { new[] { "-s", "64", "10" } },
        { new[] { "-s", "sigrtmax-1", "10" } },
        { new[] { "0" } },
        { new[] { "007" } },
    };

    [Theory]
    [MemberData(nameof(FastShapes))]
    public void The_fast_path_reads_its_shapes_as_System_CommandLine_does(string[] args)
    {
        Request fast = FastPath.TryParse(args) ?? throw new InvalidOperationException("the fast path declined");
        Plan.Send full = Assert.IsType<Plan.Send>(new CommandLine().Parse(args));
        Assert.Equal(full.Request.Describe(), fast.Describe());
    }

    [Theory]
    [InlineData("-v", "1")]
    [InlineData("--", "5")]
    [InlineData("-s", "FOO", "1")]
    [InlineData("-FOO", "1")]
    [InlineData("1", "-9")]
    [InlineData("-9", "-5")]
    [InlineData("-9")]
    [InlineData("-s", "9")]
    [InlineData("-l")]
    [InlineData("-L")]
    [InlineData("+5")]
    [InlineData("-s=9", "1")]
    [InlineData("--signal", "9", "1")]
    [InlineData("-q", "1", "1")]
    [InlineData("1", "")]
    [InlineData("١")]
    [InlineData("-p", "1")]
    [InlineData("--pid", "1")]
    [InlineData("-a", "nginx")]
    [InlineData("-r", "1")]
    [InlineData("-r", "-9", "1")]
    [InlineData("-9", "-r", "1")]
    [InlineData("-s", "9", "-r", "1")]
    [InlineData("-d", "1")]
    [InlineData("-V")]
    [InlineData("-9", "-V")]
    [InlineData("nginx")]
    [InlineData("-9", "nginx")]
    [InlineData("1", "nginx")]
    [InlineData("1:2")]
    [InlineData("-s", "KILL", "1:2")]
    public void Anything_else_goes_to_the_full_parser(params string[] args)
    {
        Assert.Null(FastPath.TryParse(args));
    }

    [Theory]
    [InlineData("9 [-1234]", "-9", "-1234")]
    [InlineData("9 [-1234]", "-s", "9", "-1234")]
    [InlineData("9 [-1234]", "-KILL", "--", "-1234")]
    [InlineData("15 [-5]", "--", "-5")]
    [InlineData("15 [5,-9,-s,KILL]", "5", "-9", "-s", "KILL")]
    [InlineData("15 [--,1]", "--", "--", "1")]
    [InlineData("1 [1] verbose", "-v", "-HUP", "1")]
    [InlineData("1 [1] verbose", "-HUP", "--verbose", "1")]
    [InlineData("15 [1]", "-s", "9", "-s", "15", "1")]
    [InlineData("0 [1]", "-0", "1")]
    [InlineData("10 [1] queue=-5", "-q", "-5", "-s", "USR1", "1")]
    [InlineData("15 [1] timeouts=100:9,200:2", "--timeout", "100", "KILL", "--timeout", "200", "INT", "1")]
    [InlineData("15 [1] timeouts=100:9", "--timeout=100", "KILL", "1")]
    [InlineData("15 [-,@x]", "-", "@x")]
    [InlineData("15 [nginx,1:2] pids", "-p", "nginx", "1:2")]
    [InlineData("9 [nginx] handler all", "-r", "-a", "-9", "nginx")]
    [InlineData("9 [nginx,-r,-a] handler", "--require-handler", "-s", "KILL", "nginx", "-r", "-a")]
    [InlineData("15 [1] pids all verbose", "--pid", "-v", "--all", "1")]
    public void Legacy_forms_and_groups_read_as_util_linux_reads_them(string expected, params string[] args)
    {
        Request request = Assert.IsType<Plan.Send>(Cli.ParseArguments(args)).Request;
        string text = $"{request.Signal} [{string.Join(",", request.Targets)}]"
            + (request.PrintPids ? " pids" : "")
            + (request.RequireHandler ? " handler" : "")
            + (request.AllUsers ? " all" : "")
            + (request.Verbose ? " verbose" : "")
            + (request.QueueValue is int q ? $" queue={q}" : "")
            + (request.FollowUps.Count > 0 ? $" timeouts={string.Join(",", request.FollowUps.Select(f => $"{f.Milliseconds}:{f.Signal}"))}" : "");
        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData("-l", "-5")]
    [InlineData("--list=-5")]
    [InlineData("-l:-5")]
    public void List_takes_the_next_argument_whatever_it_is(params string[] args)
    {
        Assert.Equal("-5", Assert.IsType<Plan.List>(Cli.ParseArguments(args)).Argument);
    }

    [Fact]
    public void The_rewriter_knows_every_option_System_CommandLine_has()
    {
        var aliases = new CommandLine().Root.Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        Assert.Equal(aliases.Order(StringComparer.Ordinal), LegacyArguments.Options.Keys.Order(StringComparer.Ordinal));
        Assert.All(aliases, a => Assert.True(LegacyArguments.IsOption(a), a));
        Assert.False(LegacyArguments.IsOption("-9"));
        Assert.False(LegacyArguments.IsOption("-KILL"));
    }

    [Fact]
    public void In_process_runs_give_the_same_results_as_the_process()
    {
        CliResult r = OsKillRun.RunInProcess(["-l"]);
        Assert.Equal(ListingTests.UtilLinuxNames, r.Stdout);
        Expect.UsageError(OsKillRun.RunInProcess([]), "not enough arguments");
    }
}
