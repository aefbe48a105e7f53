using System.Diagnostics;
using System.Reflection;

namespace OsKill.Tests;

/// <summary>
/// The README's C# is code that compiles and runs: its usage block is samples/OsKill.Readme/Program.cs,
/// which the solution builds with warnings as errors, and which runs here as a reader would run it.
/// </summary>
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

    [Fact]
    public async Task The_usage_block_runs_exits_0_and_leaves_none_of_its_processes_running()
    {
        // Every process the sample starts inherits OSKILL_TREE=<marker> from it, wherever it is
        // reparented (setsid, a double fork), so a scan of /proc finds any survivor. env
        // --default-signal: the sample and its children start with default signal actions and an
        // empty mask, whatever the test host inherited, as a reader's shell would start them.
        string marker = Guid.NewGuid().ToString("N");
        var psi = new ProcessStartInfo(Child.DefaultSignalsEnv)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "--default-signal", Child.DotnetHost, Path.GetFullPath(TestAssembly.Metadata("ReadmeSampleDll")) })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment[Trees.MarkerVariable] = marker;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using Process sample = Process.Start(psi)!;
        Task<string> stdout = sample.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> stderr = sample.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(60));
            await sample.WaitForExitAsync(cts.Token);

            // A survivor holds the output pipes open: end it before the output is read.
            List<Trees.Seen> survivors = Trees.Alive(marker);
            await Trees.CleanupAsync(marker);
            string output = await stdout.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken) + await stderr.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Assert.True(sample.ExitCode == 0, $"the README sample exited {sample.ExitCode}:\n{output}");
            Assert.True(survivors.Count == 0, $"the README sample left {survivors.Count} of its processes running ({string.Join(", ", survivors)}):\n{output}");

            // The tree stop reached the root and both its sleeps; the container killed the two detached sleeps.
            Assert.Contains("3 members, 0 killed", output, StringComparison.Ordinal);
            if (ProcessContainer.IsSupported)
            {
                Assert.Contains("killed 2 processes", output, StringComparison.Ordinal);
            }
        }
        finally
        {
            if (!sample.HasExited)
            {
                sample.Kill();
            }

            await Trees.CleanupAsync(marker);
        }
    }
}
