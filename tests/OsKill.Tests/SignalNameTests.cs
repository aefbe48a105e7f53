using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace OsKill.Tests;

/// <summary>
/// Signal names and numbers against python3's signal module on this machine: python is the oracle.
/// One python process answers every question for the class.
/// </summary>
public sealed class SignalNameTests
{
    private const string OracleScript = """
        import json, signal
        names = {n: int(getattr(signal, n)) for n in dir(signal) if n.startswith('SIG') and not n.startswith('SIG_')}
        valid = sorted(int(s) for s in signal.valid_signals())
        canonical = {}
        for n in valid:
            try:
                canonical[str(n)] = signal.Signals(n).name
            except ValueError:
                pass
        rejects = []
        for n in (0, signal.NSIG, -1):
            try:
                signal.strsignal(n)
            except ValueError:
                rejects.append(n)
        print(json.dumps({
            'names': names,
            'nsig': int(signal.NSIG),
            'valid': valid,
            'strsignal': [None] + [signal.strsignal(n) for n in range(1, signal.NSIG)],
            'strsignal_rejects': rejects,
            'canonical': canonical,
        }))
        """;

    private static readonly Lazy<Task<PythonSignals>> s_python = new(LoadAsync);

    // Names that some OS defines and Linux does not: python has none of them here.
    private static readonly string[] s_notOnLinux = ["SIGEMT", "SIGINFO", "SIGTHR", "SIGLIBRT", "SIGBREAK"];

    [Fact]
    public async Task Every_python_name_parses_to_pythons_number_in_every_spelling()
    {
        PythonSignals py = await s_python.Value;
        Assert.Contains("SIGHUP", py.Names.Keys); // the oracle really listed names
        var failures = new List<string>();
        foreach ((string name, int number) in py.Names)
        {
            foreach (string spelling in Spellings(name))
            {
                if (!Signal.TryParse(spelling, out int got) || got != number)
                {
                    failures.Add($"TryParse(\"{spelling}\") = {got}, python says {name} = {number}");
                }
                else if (Signal.Parse(spelling) != number)
                {
                    failures.Add($"Parse(\"{spelling}\") != {number}");
                }
            }

            // parse -> name -> parse comes back to the same number.
            string? primary = Signal.Name(number);
            if (primary is null || Signal.Parse(primary) != number)
            {
                failures.Add($"Name({number}) = {primary ?? "null"} does not parse back to {number} (from {name})");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task Name_gives_a_primary_name_for_exactly_the_valid_signals_and_it_parses_back()
    {
        PythonSignals py = await s_python.Value;
        int rtMin = py.Names["SIGRTMIN"];
        int rtMax = py.Names["SIGRTMAX"];
        var failures = new List<string>();
        for (int n = 1; n < py.Nsig; n++)
        {
            string? name = Signal.Name(n);
            bool valid = py.Valid.Contains(n);
            if (!valid)
            {
                if (name is not null)
                {
                    failures.Add($"Name({n}) = {name}, but python's valid_signals lacks {n}");
                }

                continue;
            }

            // Python's Signals enum names its primary member (for 6, 17, 29: ABRT, CHLD, IO); the
            // real-time signals are named util-linux style instead: RT0 is SIGRTMIN.
            string expected = n >= rtMin && n <= rtMax
                ? "RT" + (n - rtMin).ToString(CultureInfo.InvariantCulture)
                : py.Canonical[n]["SIG".Length..];
            if (name != expected)
            {
                failures.Add($"Name({n}) = {name ?? "null"}, expected {expected}");
            }
            else if (!Signal.TryParse(name, out int back) || back != n)
            {
                failures.Add($"Name({n}) = {name} parses to {back}");
            }
        }

        Assert.Empty(failures);
    }

    [Theory]
    [InlineData("IOT", "ABRT")]
    [InlineData("CLD", "CHLD")]
    [InlineData("POLL", "IO")]
    public async Task Aliases_parse_to_the_primary_number_and_Name_gives_the_primary(string alias, string primary)
    {
        PythonSignals py = await s_python.Value;
        int number = py.Names["SIG" + primary];
        Assert.Equal(number, py.Names["SIG" + alias]); // python agrees that they are aliases
        foreach (string spelling in Spellings("SIG" + alias))
        {
            Assert.Equal(number, Signal.Parse(spelling));
        }

        Assert.Equal(primary, Signal.Name(number));
        Assert.Equal(primary, Signal.Name(Signal.Parse(alias)));
    }

    [Fact]
    public async Task Constant_properties_equal_python_or_throw_where_python_lacks_the_name()
    {
        PythonSignals py = await s_python.Value;
        PropertyInfo[] properties = typeof(Signal)
            .GetProperties(BindingFlags.Public | BindingFlags.Static)
            .Where(p => p.PropertyType == typeof(int) && p.Name.StartsWith("SIG", StringComparison.Ordinal))
            .ToArray();

        var failures = new List<string>();
        var missing = new List<string>();
        foreach (PropertyInfo property in properties)
        {
            object? value;
            try
            {
                value = property.GetValue(null);
            }
            catch (TargetInvocationException e)
            {
                if (py.Names.ContainsKey(property.Name))
                {
                    failures.Add($"{property.Name} threw {e.InnerException?.GetType().Name}, python says {py.Names[property.Name]}");
                }
                else if (e.InnerException is not PlatformNotSupportedException pnse || !pnse.Message.Contains(property.Name, StringComparison.Ordinal))
                {
                    failures.Add($"{property.Name} threw {e.InnerException}, expected PlatformNotSupportedException naming it");
                }
                else
                {
                    missing.Add(property.Name);
                }

                continue;
            }

            if (!py.Names.TryGetValue(property.Name, out int expected))
            {
                failures.Add($"{property.Name} = {value}, but python has no {property.Name} here");
            }
            else if ((int)value! != expected)
            {
                failures.Add($"{property.Name} = {value}, python says {expected}");
            }
        }

        Assert.Empty(failures);
        Assert.Equal(s_notOnLinux.Order(StringComparer.Ordinal), missing.Order(StringComparer.Ordinal));

        // Every name python knows is a property (and so was compared above).
        Assert.Empty(py.Names.Keys.Except(properties.Select(p => p.Name)));
        Assert.Equal(py.Nsig, Signal.NSIG);
    }

    [Fact]
#pragma warning disable CA1416 // The point: calling the Windows-only constants elsewhere throws.
    public void Console_events_throw_off_Windows()
    {
        Assert.False(OperatingSystem.IsWindows());
        Assert.Contains("CTRL_C_EVENT", Assert.Throws<PlatformNotSupportedException>(() => Signal.CTRL_C_EVENT).Message, StringComparison.Ordinal);
        Assert.Contains("CTRL_BREAK_EVENT", Assert.Throws<PlatformNotSupportedException>(() => Signal.CTRL_BREAK_EVENT).Message, StringComparison.Ordinal);
    }
#pragma warning restore CA1416

    [Fact]
    public async Task Real_time_forms_parse_to_their_numbers_and_Name_gives_RT_offset()
    {
        PythonSignals py = await s_python.Value;
        int rtMin = py.Names["SIGRTMIN"];
        int rtMax = py.Names["SIGRTMAX"];
        Assert.True(rtMax > rtMin, $"python's SIGRTMIN {rtMin} and SIGRTMAX {rtMax}");

        Assert.Equal(rtMin, Signal.Parse("RTMIN"));
        Assert.Equal(rtMax, Signal.Parse("RTMAX"));
        Assert.Equal(rtMin + 3, Signal.Parse("SIGRTMIN+3"));
        Assert.Equal(rtMax - 2, Signal.Parse("sigrtmax-2"));

        var failures = new List<string>();
        for (int n = 0; n <= rtMax - rtMin; n++)
        {
            Expect(failures, $"RTMIN+{n}", rtMin + n);
            Expect(failures, $"sigRtMin+{n}", rtMin + n);
            Expect(failures, $"RTMAX-{n}", rtMax - n);
            Expect(failures, $"SIGrtmax-{n}", rtMax - n);
            Expect(failures, $"RT{n}", rtMin + n);
            Expect(failures, $"sigrt{n}", rtMin + n);

            string? name = Signal.Name(rtMin + n);
            if (name != $"RT{n}")
            {
                failures.Add($"Name({rtMin + n}) = {name ?? "null"}, expected RT{n}");
            }
            else
            {
                Expect(failures, name, rtMin + n);
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task Real_time_forms_outside_the_range_are_rejected()
    {
        PythonSignals py = await s_python.Value;
        int span = py.Names["SIGRTMAX"] - py.Names["SIGRTMIN"];
        string beyond = (span + 1).ToString(CultureInfo.InvariantCulture);
        string[] rejected =
        [
            "RTMIN+" + beyond, "RTMAX-" + beyond, "RT" + beyond, "SIGRTMIN+" + beyond,
            "RTMIN+31", "RTMAX-31", "RT31", "RTMIN-1", "RTMAX+1", "RTMIN+", "RTMAX-", "RT", "RT-1", "RT+1",
            "RTMIN+99999999999", "RTMAX-99999999999", "RT99999999999", "RTMIN+-1", "RTMIN + 1", "RTMIN+1 ", "RTMID",
        ];
        Assert.All(rejected, AssertRejected);
    }

    [Fact]
    public async Task Every_number_below_NSIG_is_itself()
    {
        PythonSignals py = await s_python.Value;
        Assert.Equal(0, Signal.Parse("0"));
        Assert.Equal(15, Signal.Parse("15"));
        Assert.Equal(64, Signal.Parse("64"));
        for (int n = 0; n < py.Nsig; n++)
        {
            string text = n.ToString(CultureInfo.InvariantCulture);
            Assert.True(Signal.TryParse(text, out int got), text);
            Assert.Equal(n, got);
        }

        AssertRejected(py.Nsig.ToString(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("65")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 15")]
    [InlineData("15 ")]
    [InlineData("1.5")]
    [InlineData("0x1")]
    [InlineData("")]
    [InlineData("SIG")]
    [InlineData("SIGSIG")]
    [InlineData("KILLX")]
    [InlineData("SIGKILL ")]
    [InlineData(" KILL")]
    [InlineData("SIG KILL")]
    [InlineData("SIG-KILL")]
    [InlineData("SIG_DFL")]
    [InlineData("99999999999")]
    [InlineData("\u0661\u0665")] // Arabic-Indic 15
    [InlineData("\uFF11\uFF15")] // full-width 15
    [InlineData("K\u0130LL")] // Turkish dotted capital I: not an ASCII case variant of KILL
    [InlineData("k\u0131ll")] // Turkish dotless small i
    [InlineData("\u212AILL")] // Kelvin sign, which lower-cases to k
    [InlineData("\u017FIGKILL")] // long s, which upper-cases to S
    [InlineData("SIGKILL\0")]
    public void Text_that_is_no_signal_is_rejected(string text) => AssertRejected(text);

    [Fact]
    public void Null_is_rejected()
    {
        Assert.False(Signal.TryParse(null, out int sig));
        Assert.Equal(0, sig);
        ArgumentNullException e = Assert.Throws<ArgumentNullException>(() => Signal.Parse(null!));
        Assert.Equal("value", e.ParamName);
    }

    [Fact]
    public async Task Name_of_a_number_that_is_no_signal_is_null()
    {
        PythonSignals py = await s_python.Value;

        // glibc keeps 32 and 33 for itself: python leaves them out of valid_signals.
        Assert.DoesNotContain(32, py.Valid);
        Assert.DoesNotContain(33, py.Valid);
        Assert.Null(Signal.Name(0));
        Assert.Null(Signal.Name(32));
        Assert.Null(Signal.Name(33));
        Assert.Null(Signal.Name(py.Nsig));
        Assert.Null(Signal.Name(1000));
        Assert.Null(Signal.Name(-1));
        Assert.Null(Signal.Name(int.MinValue));
        Assert.Null(Signal.Name(int.MaxValue));
    }

    [Fact]
    public async Task StrSignal_equals_python_for_every_number_and_rejects_the_rest()
    {
        PythonSignals py = await s_python.Value;
        Assert.Equal("Hangup", py.StrSignal[1]);
        var failures = new List<string>();
        for (int n = 1; n < py.Nsig; n++)
        {
            string? ours = Signal.StrSignal(n);
            if (ours != py.StrSignal[n])
            {
                failures.Add($"StrSignal({n}) = {Show(ours)}, python says {Show(py.StrSignal[n])}");
            }
        }

        Assert.Empty(failures);

        // Python raises ValueError for these; we throw ArgumentOutOfRangeException.
        Assert.Equal([0, py.Nsig, -1], py.StrSignalRejects);
        foreach (int n in new[] { 0, py.Nsig, -1, int.MinValue, int.MaxValue })
        {
            ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => Signal.StrSignal(n));
            Assert.Equal("sig", e.ParamName);
        }

        static string Show(string? s) => s is null ? "None" : $"\"{s}\"";
    }

    [Fact]
    public async Task ValidSignals_equals_python_in_ascending_order()
    {
        PythonSignals py = await s_python.Value;
        int[] ours = Signal.ValidSignals().ToArray();
        Assert.Equal(py.Valid, ours);
        Assert.Equal(ours.Order(), ours);
        Assert.Equal(ours.Length, ours.Distinct().Count());
    }

    private static void Expect(List<string> failures, string text, int expected)
    {
        if (!Signal.TryParse(text, out int got) || got != expected)
        {
            failures.Add($"\"{text}\" parsed to {got}, expected {expected}");
        }
    }

    private static void AssertRejected(string text)
    {
        Assert.False(Signal.TryParse(text, out int sig), $"TryParse(\"{text}\") accepted it as {sig}");
        Assert.Equal(0, sig);
        FormatException e = Assert.Throws<FormatException>(() => Signal.Parse(text));
        Assert.Contains($"'{text}'", e.Message, StringComparison.Ordinal);
    }

    // "SIGHUP" -> SIGHUP, HUP, sighup, hup, sigHup, SiGhUp, sIgHuP, hUp...: with and without the
    // prefix, in upper, lower and mixed case.
    private static IEnumerable<string> Spellings(string name)
    {
        string bare = name["SIG".Length..];
        string[] forms =
        [
            name, bare, name.ToLowerInvariant(), bare.ToLowerInvariant(), bare.ToUpperInvariant(),
            "sig" + bare, "Sig" + bare.ToLowerInvariant(),
            "sig" + char.ToUpperInvariant(bare[0]) + bare[1..].ToLowerInvariant(),
            Alternate(name, upperFirst: true), Alternate(name, upperFirst: false),
            Alternate(bare, upperFirst: true), Alternate(bare, upperFirst: false),
        ];
        return forms.Distinct(StringComparer.Ordinal);

        static string Alternate(string s, bool upperFirst) => string.Create(s.Length, (s, upperFirst), static (span, state) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = (i % 2 == 0) == state.upperFirst ? char.ToUpperInvariant(state.s[i]) : char.ToLowerInvariant(state.s[i]);
            }
        });
    }

    private static async Task<PythonSignals> LoadAsync()
    {
        string json = await Python.RunAsync(OracleScript, []);
        using var doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        return new PythonSignals(
            root.GetProperty("names").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal),
            root.GetProperty("nsig").GetInt32(),
            root.GetProperty("valid").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            root.GetProperty("strsignal").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.GetString()).ToArray(),
            root.GetProperty("strsignal_rejects").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            root.GetProperty("canonical").EnumerateObject().ToDictionary(p => int.Parse(p.Name, CultureInfo.InvariantCulture), p => p.Value.GetString()!));
    }

    /// <summary>What python's signal module says on this machine.</summary>
    /// <param name="Names">Every SIG* constant (not SIG_DFL and the like) and its number.</param>
    /// <param name="Nsig">signal.NSIG.</param>
    /// <param name="Valid">sorted(signal.valid_signals()).</param>
    /// <param name="StrSignal">signal.strsignal(n) at index n, for 1 to NSIG-1; index 0 unused.</param>
    /// <param name="StrSignalRejects">Which of 0, NSIG and -1 strsignal rejects with ValueError.</param>
    /// <param name="Canonical">signal.Signals(n).name for the valid numbers that are enum members.</param>
    private sealed record PythonSignals(
        IReadOnlyDictionary<string, int> Names,
        int Nsig,
        int[] Valid,
        string?[] StrSignal,
        int[] StrSignalRejects,
        IReadOnlyDictionary<int, string> Canonical);
}
