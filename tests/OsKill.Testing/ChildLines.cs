namespace OsKill.Testing;

/// <summary>Waiting for several report lines that may come in any order.</summary>
public static class ChildLines
{
    /// <summary>Waits until every one of <paramref name="expected"/> has been printed, in any order.</summary>
    public static async Task WaitForAllAsync(this Child child, IEnumerable<string> expected)
    {
        var missing = new HashSet<string>(expected);
        while (missing.Count > 0)
        {
            string line = await child.WaitForLineAsync(missing.Contains);
            missing.Remove(line);
        }
    }

    /// <summary>How many of the lines read so far are exactly <paramref name="line"/>.</summary>
    public static int CountSeen(this Child child, string line) => child.Seen.Count(l => l == line);
}
