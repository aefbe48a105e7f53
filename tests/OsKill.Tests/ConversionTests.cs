using System.Runtime.InteropServices;

namespace OsKill.Tests;

/// <summary>
/// Signal.FromPosixSignal and Signal.ToPosixSignal: .NET's PosixSignal names its members with
/// negative portable values (SIGTERM is -4), and a positive PosixSignal is a raw native number.
/// Checked against python3's signal module and on a live child that registers PosixSignal handlers.
/// </summary>
public class ConversionTests
{
    // PosixSignal's named members, by their portable values -1 .. -11 (.NET 11 added SIGKILL, -11,
    // which the .NET 10 reference pack does not name).
    private static readonly (PosixSignal Signal, string Name)[] Named =
    [
        (PosixSignal.SIGHUP, "SIGHUP"), (PosixSignal.SIGINT, "SIGINT"), (PosixSignal.SIGQUIT, "SIGQUIT"), (PosixSignal.SIGTERM, "SIGTERM"),
        (PosixSignal.SIGCHLD, "SIGCHLD"), (PosixSignal.SIGCONT, "SIGCONT"), (PosixSignal.SIGWINCH, "SIGWINCH"), (PosixSignal.SIGTTIN, "SIGTTIN"),
        (PosixSignal.SIGTTOU, "SIGTTOU"), (PosixSignal.SIGTSTP, "SIGTSTP"), ((PosixSignal)(-11), "SIGKILL"),
    ];

    [Fact]
    public void Every_member_that_the_running_dotnet_names_is_one_FromPosixSignal_knows()
    {
        // If a future .NET adds members, FromPosixSignal must learn them: this test says so.
        Assert.Subset(Named.Select(n => n.Signal).ToHashSet(), Enum.GetValues<PosixSignal>().ToHashSet());
        Assert.Equal(Enumerable.Range(1, 11).Select(i => -i), Named.Select(n => (int)n.Signal));
        foreach (PosixSignal defined in Enum.GetValues<PosixSignal>())
        {
            Assert.True(Signal.FromPosixSignal(defined) > 0, $"{defined} ({(int)defined})");
        }

        // .NET 11's SIGKILL, whichever .NET runs.
        Assert.Equal(Signal.SIGKILL, Signal.FromPosixSignal((PosixSignal)(-11)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Signal.FromPosixSignal((PosixSignal)(-12)));
    }

    [Fact]
    public async Task FromPosixSignal_of_each_named_member_is_the_native_number_python_gives()
    {
        string[] names = Named.Select(n => n.Name).ToArray();
        string output = await Python.RunAsync(
            "import signal, sys\nfor n in sys.argv[1:]: print(n, int(getattr(signal, n)))", names);
        var python = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => int.Parse(p[1]));
        Assert.Equal(names.Length, python.Count);

        foreach ((PosixSignal signal, string name) in Named)
        {
            Assert.True(python[name] == Signal.FromPosixSignal(signal), $"{name}: python {python[name]}, ours {Signal.FromPosixSignal(signal)}");
        }

        // And the library's own constants agree.
        Assert.Equal(Signal.SIGHUP, Signal.FromPosixSignal(PosixSignal.SIGHUP));
        Assert.Equal(Signal.SIGINT, Signal.FromPosixSignal(PosixSignal.SIGINT));
        Assert.Equal(Signal.SIGQUIT, Signal.FromPosixSignal(PosixSignal.SIGQUIT));
        Assert.Equal(Signal.SIGTERM, Signal.FromPosixSignal(PosixSignal.SIGTERM));
        Assert.Equal(Signal.SIGCHLD, Signal.FromPosixSignal(PosixSignal.SIGCHLD));
        Assert.Equal(Signal.SIGCONT, Signal.FromPosixSignal(PosixSignal.SIGCONT));
        Assert.Equal(Signal.SIGWINCH, Signal.FromPosixSignal(PosixSignal.SIGWINCH));
        Assert.Equal(Signal.SIGTTIN, Signal.FromPosixSignal(PosixSignal.SIGTTIN));
        Assert.Equal(Signal.SIGTTOU, Signal.FromPosixSignal(PosixSignal.SIGTTOU));
        Assert.Equal(Signal.SIGTSTP, Signal.FromPosixSignal(PosixSignal.SIGTSTP));
        Assert.Equal(Signal.SIGKILL, Signal.FromPosixSignal((PosixSignal)(-11)));
    }

    [Fact]
    public void A_positive_PosixSignal_is_a_native_number_and_passes_through()
    {
        Assert.Equal(10, Signal.FromPosixSignal((PosixSignal)10));
        Assert.Equal(Signal.SIGUSR1, Signal.FromPosixSignal((PosixSignal)Signal.SIGUSR1));
        Assert.Equal(Signal.SIGKILL, Signal.FromPosixSignal((PosixSignal)Signal.SIGKILL));
        Assert.Equal(Signal.SIGRTMIN + 2, Signal.FromPosixSignal((PosixSignal)(Signal.SIGRTMIN + 2)));

        // A raw SIGTERM stays raw on the way in: 15 is 15, not the portable -4.
        Assert.Equal(Signal.SIGTERM, Signal.FromPosixSignal((PosixSignal)Signal.SIGTERM));
    }

    [Fact]
    public void ToPosixSignal_gives_the_named_member_where_there_is_one_and_the_raw_number_otherwise()
    {
        Assert.Equal(PosixSignal.SIGTERM, Signal.ToPosixSignal(Signal.SIGTERM));
        Assert.Equal(PosixSignal.SIGHUP, Signal.ToPosixSignal(Signal.SIGHUP));
        Assert.Equal(PosixSignal.SIGCHLD, Signal.ToPosixSignal(Signal.SIGCHLD));
        Assert.Equal(PosixSignal.SIGTSTP, Signal.ToPosixSignal(Signal.SIGTSTP));
        Assert.Equal((PosixSignal)Signal.SIGUSR1, Signal.ToPosixSignal(Signal.SIGUSR1));
        Assert.Equal((PosixSignal)10, Signal.ToPosixSignal(Signal.SIGUSR1));
        // SIGKILL is named only where the running .NET names it (.NET 11 on).
        PosixSignal kill = Enum.IsDefined((PosixSignal)(-11)) ? (PosixSignal)(-11) : (PosixSignal)Signal.SIGKILL;
        Assert.Equal(kill, Signal.ToPosixSignal(Signal.SIGKILL));
        Assert.Equal((PosixSignal)Signal.SIGRTMAX, Signal.ToPosixSignal(Signal.SIGRTMAX));

        // The aliases SIGCLD and SIGIOT name the same numbers.
        Assert.Equal(PosixSignal.SIGCHLD, Signal.ToPosixSignal(Signal.SIGCLD));
    }

    [Fact]
    public void Conversions_round_trip()
    {
        PosixSignal[] defined = Enum.GetValues<PosixSignal>();
        foreach (PosixSignal signal in defined)
        {
            Assert.Equal(signal, Signal.ToPosixSignal(Signal.FromPosixSignal(signal)));
        }

        foreach (int sig in Signal.ValidSignals())
        {
            var converted = Signal.ToPosixSignal(sig);
            Assert.Equal(sig, Signal.FromPosixSignal(converted));
            Assert.Equal(defined.Contains(converted), (int)converted < 0);
        }

        // Exactly the members the running .NET names come out negative: 10, or 11 from .NET 11 on.
        Assert.Equal(defined.Length, Signal.ValidSignals().Count(sig => (int)Signal.ToPosixSignal(sig) < 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-12)]
    [InlineData(-100)]
    [InlineData(int.MinValue)]
    public void FromPosixSignal_refuses_zero_and_undefined_negative_values(int value)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => Signal.FromPosixSignal((PosixSignal)value));
        Assert.Equal("signal", e.ParamName);
        Assert.Equal(value, e.ActualValue);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-4)]
    [InlineData(int.MinValue)]
    public void ToPosixSignal_refuses_zero_and_negative_numbers(int sig)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => Signal.ToPosixSignal(sig));
        Assert.Equal("sig", e.ParamName);
        Assert.Equal(sig, e.ActualValue);
    }

    [Fact]
    public async Task A_child_that_registers_named_PosixSignals_receives_the_converted_numbers()
    {
        // The child registers PosixSignal.SIGHUP (the portable -1) and the others; we send native
        // numbers converted from the same members.
        using Child child = await Child.StartAsync("catch-posix", "SIGHUP", "SIGTERM", "SIGWINCH");
        foreach (PosixSignal signal in new[] { PosixSignal.SIGHUP, PosixSignal.SIGTERM, PosixSignal.SIGWINCH })
        {
            Os.Kill(child.Pid, Signal.FromPosixSignal(signal));
            await child.WaitForLineAsync($"got {signal}");
        }

        Assert.Equal(0, await child.FinishAsync());
    }

    [Fact]
    public async Task A_child_that_registers_the_raw_number_receives_the_converted_SIGHUP()
    {
        // The catch mode registers (PosixSignal)1, a raw native number.
        using Child child = await Child.StartAsync("catch", "HUP", "USR1");
        Os.Kill(child.Pid, Signal.FromPosixSignal(PosixSignal.SIGHUP));
        await child.WaitForLineAsync($"got {Signal.SIGHUP}");
        Os.Kill(child.Pid, Signal.FromPosixSignal(Signal.ToPosixSignal(Signal.SIGUSR1)));
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.Equal(Signal.SIGHUP, await child.FinishAsync());
    }
}
