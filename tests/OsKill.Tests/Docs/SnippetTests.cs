using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace OsKill.Tests.Docs;

/// <summary>
/// Every ```csharp block of README.md and docs/*.md compiles as written, against the OsKill
/// assembly, as the Program.cs of a new console app (`dotnet new console`) would: top-level
/// statements, the SDK's implicit usings (System, System.IO, System.Linq, System.Threading.Tasks...),
/// nullable annotations on, and every compiler warning an error. A block opened with
/// ```csharp fragment is a deliberate piece of a larger program: it is skipped, by file and line,
/// with that reason printed. Compiled in memory with Roslyn against the runtime's own assemblies.
/// </summary>
public partial class SnippetTests
{
    private static readonly string s_root = Path.GetFullPath(
        typeof(SnippetTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    /// <summary>What `dotnet new console` has in scope through ImplicitUsings (Microsoft.NET.Sdk).</summary>
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private static readonly Lazy<MetadataReference[]> s_references = new(LoadReferences);

    /// <summary>
    /// What Microsoft.NET.Sdk itself silences (NoWarn 1701;1702): a reference to an older version of an
    /// assembly that the compilation has in a newer one (Microsoft.Extensions 8.0 packages on .NET 10).
    /// </summary>
    private static readonly Dictionary<string, ReportDiagnostic> s_sdkNoWarn = new()
    {
        ["CS1701"] = ReportDiagnostic.Suppress,
        ["CS1702"] = ReportDiagnostic.Suppress,
    };

    /// <summary>Each C# block, by file (relative to the repository) and the line of its opening fence.</summary>
    public static TheoryData<string, int> Snippets()
    {
        var data = new TheoryData<string, int>();
        foreach ((string file, int line, _, _) in FindSnippets())
        {
            data.Add(file, line);
        }

        return data;
    }

    [Fact]
    public void The_docs_have_csharp_blocks_to_compile()
    {
        // The scan itself can fail (a moved docs folder, a changed fence): then nothing would be checked.
        var snippets = FindSnippets().ToList();
        Assert.Contains(snippets, s => s.File == "README.md");
        Assert.True(snippets.Count(s => s.File.StartsWith("docs/", StringComparison.Ordinal)) >= 5, string.Join(", ", snippets.Select(s => $"{s.File}:{s.Line}")));
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void The_snippet_compiles_as_written(string file, int line)
    {
        (_, _, string info, string code) = FindSnippets().Single(s => s.File == file && s.Line == line);
        if (info.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("fragment"))
        {
            Assert.Skip($"{file}:{line} is marked ```csharp fragment: a deliberate piece of a larger program, not compiled");
        }

        string[] errors = Compile(code)
            .Where(d => d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning)
            .Select(d => $"{file}:{line + d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
            .ToArray();
        Assert.True(errors.Length == 0, $"the C# block at {file}:{line} does not compile as written:\n{string.Join('\n', errors)}\n--- the block\n{code}");
    }

    [Fact]
    public void A_snippet_that_uses_what_it_does_not_declare_fails()
    {
        // The check itself: the docs' old Process.Start without `using System.Diagnostics;`, and an undeclared pid.
        string[] ids = Compile("using OsKill;\n\nusing var p = Process.Start(\"sleep\", \"600\");\nOs.Kill(pid, Signal.SIGTERM);\n").Select(d => d.Id).ToArray();
        Assert.Contains("CS0103", ids);
        Assert.DoesNotContain(Compile("using OsKill;\n\nOs.Kill(Environment.ProcessId, 0);\n"), d => d.Severity >= DiagnosticSeverity.Warning);
    }

    private static IEnumerable<Diagnostic> Compile(string code)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(code, parse, path: "Program.cs")],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(s_sdkNoWarn));
        using var image = new MemoryStream();
        return compilation.Emit(image).Diagnostics.Where(d => d.Location.SourceTree?.FilePath == "Program.cs" || d.Location == Location.None);
    }

    /// <summary>
    /// The runtime's assemblies (the trusted platform assemblies that are part of .NET itself, not the
    /// test's own dependencies), OsKill.dll, and OsKill.Extensions.Hosting.dll with the Microsoft.Extensions
    /// assemblies it brings (docs/hosting.md): what a console app that references the packages sees.
    /// </summary>
    private static MetadataReference[] LoadReferences()
    {
        string[] trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return trusted
            .Where(p => Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll" or "Microsoft.CSharp.dll"
                || Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(p).StartsWith("Microsoft.Win32.", StringComparison.Ordinal)
                || Path.GetFileName(p).StartsWith("Microsoft.Extensions.", StringComparison.Ordinal))
            .Append(typeof(Os).Assembly.Location)
            .Append(typeof(OsKill.Extensions.Hosting.ChildProcessOptions).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
    }

    /// <summary>The ```csharp blocks of README.md and docs/*.md: file, line of the opening fence, its info string, and the code (a list item's indentation removed).</summary>
    private static IEnumerable<(string File, int Line, string Info, string Code)> FindSnippets()
    {
        IEnumerable<string> files = Directory.EnumerateFiles(Path.Combine(s_root, "docs"), "*.md")
            .Order(StringComparer.Ordinal)
            .Prepend(Path.Combine(s_root, "README.md"));
        foreach (string path in files)
        {
            string file = Path.GetRelativePath(s_root, path).Replace('\\', '/');
            string[] lines = File.ReadAllText(path).ReplaceLineEndings("\n").Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                Match open = OpeningFence().Match(lines[i]);
                if (!open.Success)
                {
                    continue;
                }

                int indent = open.Groups[1].Length;
                int end = i + 1;
                while (end < lines.Length && lines[end].Trim() != "```")
                {
                    end++;
                }

                string code = string.Join('\n', lines[(i + 1)..end].Select(l => l.Length >= indent && l[..indent].Trim().Length == 0 ? l[indent..] : l.TrimStart()));
                yield return (file, i + 1, open.Groups[2].Value.Trim(), code + "\n");
                i = end;
            }
        }
    }

    [GeneratedRegex(@"^(\s*)```csharp(\s.*)?$")]
    private static partial Regex OpeningFence();
}
