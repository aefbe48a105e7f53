using System.Globalization;
using OsKill.Cli.Tests.Infrastructure;
using static OsKill.Cli.Tests.Infrastructure.Targets;

namespace OsKill.Cli.Tests;

/// <summary>
/// A few hundred command lines from a seeded generator: options, names, numbers, junk, negative
/// numbers and '--' in random order. Each must end with a documented status (0, 1, 64) and print
/// no exception text. Most run in-process through Cli.Run; some run as real processes.
/// </summary>
/// <remarks>
/// Safety: these command lines really signal. The only numbers they may name as targets are the
/// pids of the sleeps this test started (kept as zombies once they die, so their pids cannot be
/// reused while the test runs) and numbers above PID_MAX_LIMIT (no process or group can have them),
/// with their negatives. Never 0, -1, 1, or a negative number that could be a real group. A
/// PID:INODE names one of those pids; a NAME must be one that no process has. Three guards: the
/// generator draws numbers only from those sets and puts bare signal numbers only where they are
/// option values; every line is parsed first with oskill's own parser and must name no other
/// target (the same parse that the run then does), and no name that some process has; and
/// in-process, an audit hook vetoes any kill or sigqueue to a pid (or pidfd) outside the set.
/// </remarks>
public class RandomArgumentTests : IDisposable
{
    private const int Seed = 20251127;
    private const int InProcessLines = 400;
    private const int ProcessLines = 24;

    private static readonly AsyncLocal<HashSet<int>?> s_allowed = new();
    private static readonly Lock s_hookGate = new();
    private static bool s_hooked;

    private static readonly string[] s_signalValues =
    [
        "TERM", "kill", "SIGUSR1", "usr2", "0", "9", "15", "64", "65", "999", "-1", "RTMIN", "RTMIN+3",
        "RTMAX-2", "RT40", "rt2", "IOT", "CLD", "POLL", "SIGSIGTERM", "FOO", "", " 9", "+9", "0x9", "STOP",
        "CONT", "HUP", "1", "2", "28", "WINCH", "RTMIN+99",
    ];

    private static readonly string[] s_legacyNames =
    [
        "-KILL", "-term", "-SIGUSR1", "-usr2", "-RTMIN+1", "-rt5", "-IOT", "-FOO", "-STOP", "-CONT", "-HUP",
        "-sig", "-RTMAX-40",
    ];

    private static readonly string[] s_numericLegacy = ["-0", "-9", "-15", "-19", "-18", "-64", "-65", "-99999"];

    private static readonly string[] s_listValues =
    [
        "130", "0x3", "0xZZ", "9", "FOO", "-5", "65", "0", "rtmin+2", "0x", "0xffffffffffffffff", "0X1", "iot", "384",
    ];

    private static readonly string[] s_queueValues = ["1", "-5", "x", "2147483648", "0", "-2147483648", ""];
    private static readonly string[] s_millis = ["0", "5", "20", "-1", "x", "1.5", ""];
    private static readonly string[] s_junkTargets = ["abc", "", "1x", "+5", " 5", "0x10", "--", "-", "@file", "٣", "-abc", "1:", ":5", "x:1", "0:1"];
    private static readonly string[] s_plainOptions =
    [
        "-v", "--verbose", "-L", "--table", "--bogus", "-x", "-vL", "--version", "-h", "-V", "-p", "--pid", "-a", "--all",
        "-r", "--require-handler",
    ];

    private readonly Child _holder;
    private readonly int[] _sleepers;
    private readonly HashSet<int> _allowed;

    public RandomArgumentTests()
    {
        // A shell that starts four sleeps, prints their pids, then becomes a sleep that never
        // reaps: a sleep the test kills stays a zombie, so its pid is not given to anyone else.
        _holder = Child.StartCommandAsync(["sh", "-c", "for i in 1 2 3 4; do sleep 1000 & echo $!; done; echo ready $$; exec sleep 100000"]).GetAwaiter().GetResult();
        _sleepers = [.. _holder.Seen.Where(l => !l.StartsWith("ready ", StringComparison.Ordinal)).Select(l => int.Parse(l, CultureInfo.InvariantCulture))];
        Assert.Equal(4, _sleepers.Length);
        _allowed = [.. _sleepers, .. Enumerable.Range(0, 5).SelectMany(i => new[] { NoSuchProcess(i), -NoSuchProcess(i) })];
        Assert.DoesNotContain(0, _allowed);
        Assert.DoesNotContain(-1, _allowed);
        Assert.DoesNotContain(1, _allowed);
        Assert.DoesNotContain(Environment.ProcessId, _allowed);
        InstallGuard();
    }

    public void Dispose()
    {
        _holder.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Random_command_lines_in_process_end_with_a_documented_status_and_no_stack_trace()
    {
        var random = new Random(Seed);
        var statuses = new Dictionary<int, int>();
        s_allowed.Value = _allowed;
        try
        {
            for (int i = 0; i < InProcessLines; i++)
            {
                string[] args = NextSafeLine(random);
                CliResult r = OsKillRun.RunInProcess(args);
                Check(args, r);
                statuses[r.ExitCode] = statuses.GetValueOrDefault(r.ExitCode) + 1;
            }
        }
        finally
        {
            s_allowed.Value = null;
        }

        // The generator reaches every status.
        Assert.All(Expect.DocumentedStatuses, s => Assert.True(statuses.GetValueOrDefault(s) > 0, $"no line ended with {s}: {string.Join(", ", statuses)}"));
    }

    [Fact]
    public async Task Random_command_lines_as_processes_end_with_a_documented_status_and_no_stack_trace()
    {
        var random = new Random(Seed + 1);
        for (int i = 0; i < ProcessLines; i++)
        {
            string[] args = NextSafeLine(random);
            Check(args, await OsKillRun.RunAsync(args));
        }
    }

    private static void Check(string[] args, CliResult r)
    {
        string line = string.Join(' ', args.Select(a => $"'{a}'"));
        try
        {
            Expect.Clean(r);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"oskill {line}: {e.Message}\n{r}");
        }
    }

    // A line whose every numeric target, as oskill itself parses it, is one this test may signal.
    private string[] NextSafeLine(Random random)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            string[] args = NextLine(random);
            if (IsSafe(args))
            {
                return args;
            }
        }

        throw new InvalidOperationException("the generator keeps making lines that would signal strangers: fix it");
    }

    private bool IsSafe(string[] args)
    {
        if (Cli.ParseArguments(args) is not Plan.Send send)
        {
            return true;
        }

        foreach (string target in send.Request.Targets)
        {
            if (Sender.TryParseTarget(target, out int pid))
            {
                if (!_allowed.Contains(pid))
                {
                    return false;
                }
            }
            else if (Sender.Classify(target, out pid, out _) == Sender.TargetKind.PidInode)
            {
                if (!_allowed.Contains(pid))
                {
                    return false;
                }
            }
            else if (SomeProcessIsNamed(target))
            {
                return false;
            }
        }

        return true;
    }

    // Any process of any user, this test's own included: the name must match nothing.
    private static bool SomeProcessIsNamed(string name) =>
        Directory.EnumerateDirectories("/proc")
            .Where(d => int.TryParse(Path.GetFileName(d), out _))
            .Any(d => Command(int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture)) == name);

    private string[] NextLine(Random random)
    {
        var args = new List<string>();
        bool signalSoFar = false;
        int clauses = random.Next(0, 5);
        if (random.Next(4) == 0)
        {
            // A numeric legacy signal is only safe first: later, after a signal, it is a group.
            args.Add(Pick(random, s_numericLegacy));
            signalSoFar = true;
        }

        for (int c = 0; c < clauses; c++)
        {
            switch (random.Next(10))
            {
                case 0:
                    args.Add(Pick(random, ["-s", "--signal"]));
                    args.Add(Pick(random, s_signalValues));
                    signalSoFar = true;
                    break;
                case 1:
                    args.Add("--signal=" + Pick(random, s_signalValues));
                    signalSoFar = true;
                    break;
                case 2:
                    if (!signalSoFar)
                    {
                        args.Add(Pick(random, s_legacyNames));
                        signalSoFar = true;
                    }

                    break;
                case 3:
                    args.Add(Pick(random, ["-q", "--queue"]));
                    args.Add(Pick(random, s_queueValues));
                    break;
                case 4:
                    args.Add("--timeout");
                    args.Add(Pick(random, s_millis));
                    args.Add(Pick(random, s_signalValues));
                    break;
                case 5:
                    args.Add(Pick(random, ["-l", "--list"]));
                    if (random.Next(2) == 0)
                    {
                        args.Add(Pick(random, s_listValues));
                    }

                    break;
                case 6:
                case 7:
                    args.Add(Pick(random, s_plainOptions));
                    break;
                case 8:
                    if (random.Next(2) == 0)
                    {
                        args.Add("--list=" + Pick(random, s_listValues));
                    }
                    else
                    {
                        // -d reads /proc and signals nothing: any pid will do.
                        args.Add(Pick(random, ["-d", "--show-process-state"]));
                        args.Add(Pick(random, ["1", "x", "0", "-5", Text(NoSuchProcess()), Text(Environment.ProcessId)]));
                    }

                    break;
                default:
                    args.Add(Pick(random, s_legacyNames));
                    break;
            }
        }

        if (random.Next(3) > 0)
        {
            args.Add("--");
        }

        int targets = random.Next(0, 4);
        for (int t = 0; t < targets; t++)
        {
            args.Add(random.Next(7) switch
            {
                0 or 1 => Text(Pick(random, _sleepers)),
                2 => Text(NoSuchProcess(random.Next(5))),
                3 => Text(-NoSuchProcess(random.Next(5))),
                4 => $"{Pick(random, _sleepers)}:{random.Next(1, 3)}",
                5 => NoSuchName,
                _ => Pick(random, s_junkTargets),
            });
        }

        if (random.Next(10) == 0)
        {
            // Option-like words after the targets are targets too.
            args.Add(Pick(random, [.. s_plainOptions, .. s_legacyNames, "-s"]));
        }

        return [.. args];
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    // The last guard: while a random test runs in this process, kill(2) and sigqueue(3) to any
    // pid outside its set throw before the system call (Audit vetoes the operation). The CLI then
    // reports an internal error, which fails the test.
    private static void InstallGuard()
    {
        lock (s_hookGate)
        {
            if (s_hooked)
            {
                return;
            }

            Audit.AddHook((name, args) =>
            {
                if (s_allowed.Value is HashSet<int> allowed && name is "os.kill" or "os.killpg" or "oskill.sigqueue" && args.Length > 0)
                {
                    // A pid, or a pidfd (NAME, PID:INODE and -r targets are signalled through one).
                    int? pid = args[0] switch
                    {
                        int number => number,
                        SafePidfdHandle pidfd => pidfd.Pid,
                        ProcessHandle handle => handle.Pid,
                        _ => null,
                    };
                    if (pid is not int known || !allowed.Contains(known))
                    {
                        throw new InvalidOperationException($"the random test tried to signal {args[0]}, which it did not start");
                    }
                }
            });
            s_hooked = true;
        }
    }
}
