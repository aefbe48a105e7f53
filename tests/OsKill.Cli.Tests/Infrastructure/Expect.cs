namespace OsKill.Cli.Tests.Infrastructure;

/// <summary>Checks every run shares: a documented status, and never a stack trace.</summary>
public static class Expect
{
    public static readonly int[] DocumentedStatuses = [0, 1, 64];

    /// <summary>No exception text, no stack frame, no "internal error" (a bug caught at the top), no resource key.</summary>
    public static void Clean(CliResult result)
    {
        foreach (string text in new[] { result.Stdout, result.Stderr })
        {
            Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
            Assert.DoesNotContain("internal error", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled", text, StringComparison.Ordinal);

            // A .NET resource key in place of its text (UseSystemResourceKeys): "UnauthorizedAccess_IODenied_NoPathName".
            Assert.DoesNotMatch(@"\b[A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+\b", text);
        }

        Assert.Contains(result.ExitCode, DocumentedStatuses);
    }

    /// <summary>A usage error: status 1, a short "oskill: ..." message and the hint of --help, nothing on stdout.</summary>
    public static void UsageError(CliResult result, string? message = null)
    {
        Clean(result);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(string.Empty, result.Stdout);
        string[] lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length is >= 2 and <= 3, result.ToString());
        Assert.StartsWith("oskill: ", lines[0], StringComparison.Ordinal);
        Assert.Equal("Try 'oskill --help' for more information.", lines[^1]);
        if (message is not null)
        {
            Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>Success with nothing printed.</summary>
    public static void Quiet(CliResult result)
    {
        Clean(result);
        Assert.True(result.ExitCode == 0 && result.Stdout.Length == 0 && result.Stderr.Length == 0, result.ToString());
    }
}
