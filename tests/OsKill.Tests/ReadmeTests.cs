using System.Reflection;

namespace OsKill.Tests;

/// <summary>The README's C# is code that compiles: its usage block is samples/OsKill.Readme/Program.cs, which the solution builds with warnings as errors.</summary>
public class ReadmeTests
{
    private static readonly string s_root = Path.GetFullPath(
        typeof(ReadmeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    [Fact]
    public void The_usage_block_is_the_compiled_readme_sample_word_for_word()
    {
        string readme = File.ReadAllText(Path.Combine(s_root, "README.md"));
        const string open = "## Use\n\n```csharp\n";
        int start = readme.IndexOf(open, StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Use' section with a csharp block");
        start += open.Length;
        int end = readme.IndexOf("```\n", start, StringComparison.Ordinal);
        string block = readme[start..end];

        string sample = File.ReadAllText(Path.Combine(s_root, "samples", "OsKill.Readme", "Program.cs"));
        Assert.Equal(sample.ReplaceLineEndings("\n"), block);
    }

    [Fact]
    public void Links_in_the_README_are_absolute_so_that_they_work_on_the_package_page()
    {
        string readme = File.ReadAllText(Path.Combine(s_root, "README.md"));
        string[] relative = System.Text.RegularExpressions.Regex.Matches(readme, @"\]\((?!https?://|#)([^)]+)\)")
            .Select(m => m.Groups[1].Value)
            .ToArray();
        Assert.Empty(relative);
    }
}
