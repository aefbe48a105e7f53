using OsKill.Bsd;
using OsKill.Linux;
using OsKill.Windows;

namespace OsKill.Tests;

/// <summary>
/// The tables for the operating systems this machine is not. They cannot be checked against a live
/// kernel here, so they are checked against the numbers their headers define, the ones that differ
/// from Linux above all: the bug this guards against is a Linux number sent on another OS.
/// </summary>
public class PlatformTableTests
{
    public static TheoryData<string, int, int, int> Numbers => new()
    {
        // name, Linux, macOS, FreeBSD
        { "USR1", 10, 30, 30 },
        { "USR2", 12, 31, 31 },
        { "BUS", 7, 10, 10 },
        { "CHLD", 17, 20, 20 },
        { "STOP", 19, 17, 17 },
        { "CONT", 18, 19, 19 },
        { "TSTP", 20, 18, 18 },
        { "URG", 23, 16, 16 },
        { "IO", 29, 23, 23 },
        { "SYS", 31, 12, 12 },
        { "TERM", 15, 15, 15 },
        { "KILL", 9, 9, 9 },
    };

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Each_OS_table_gives_that_OS_number(string name, int linux, int macOS, int freeBsd)
    {
        Assert.Equal(linux, LinuxSignals.Create().Find(name));
        Assert.Equal(macOS, DarwinSignals.Table.Find(name));
        Assert.Equal(freeBsd, FreeBsdSignals.Table.Find(name));
    }

    [Theory]
    [InlineData("STKFLT")]
    [InlineData("PWR")]
    [InlineData("POLL")]
    [InlineData("CLD")]
    public void Linux_only_names_are_absent_on_macOS_and_FreeBSD(string name)
    {
        Assert.True(LinuxSignals.Create().Find(name) > 0);
        Assert.Equal(-1, DarwinSignals.Table.Find(name));
        Assert.Equal(-1, FreeBsdSignals.Table.Find(name));
    }

    [Fact]
    public void Real_time_ranges_and_NSIG_per_OS()
    {
        Assert.False(DarwinSignals.Table.HasRealTime);
        Assert.Equal(32, DarwinSignals.Table.Nsig);
        Assert.Equal((65, 126, 129), (FreeBsdSignals.Table.RtMin, FreeBsdSignals.Table.RtMax, FreeBsdSignals.Table.Nsig));
        Assert.Equal(32, FreeBsdSignals.Table.Find("THR"));
        Assert.Equal("THR", FreeBsdSignals.Table.PrimaryName(32));
        Assert.Equal("INFO", DarwinSignals.Table.PrimaryName(29));
    }

    [Fact]
    public void Windows_table_is_the_C_runtime_set()
    {
        Assert.Equal(
            [("INT", 2), ("ILL", 4), ("FPE", 8), ("SEGV", 11), ("TERM", 15), ("BREAK", 21), ("ABRT", 22)],
            WindowsSignals.Table.Names);
        Assert.Equal(23, WindowsSignals.Table.Nsig);
        Assert.Equal(-1, WindowsSignals.Table.Find("HUP"));
    }
}
