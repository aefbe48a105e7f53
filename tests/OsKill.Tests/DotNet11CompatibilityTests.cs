using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace OsKill.Tests;

/// <summary>
/// OsKill next to .NET 11: no public OsKill type may share its name with a public .NET 11 type in
/// the namespaces an ordinary program imports together with OsKill, or <c>using System.Diagnostics;
/// using OsKill;</c> fails with CS0104. Checked against the 11.0.0 reference pack itself (restored
/// by tests/OsKill.Net11Owner); the .NET 11 lane (-c Net11) also compiles <see cref="ImportsEverything"/>
/// against it.
/// </summary>
public class DotNet11CompatibilityTests
{
    private static readonly string[] s_namespaces = ["System", "System.Diagnostics", "System.Runtime.InteropServices", "Microsoft.Win32.SafeHandles"];

    [Fact]
    public void No_public_OsKill_type_collides_with_a_dotnet_11_type_in_the_namespaces_programs_import()
    {
        string root = typeof(DotNet11CompatibilityTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;
        string pack = Path.Combine(root, "microsoft.netcore.app.ref", "11.0.0", "ref", "net11.0");
        Assert.True(Directory.Exists(pack), $"the 11.0.0 reference pack is not restored at {pack}");

        var theirs = new Dictionary<string, string>();
        foreach (string dll in Directory.EnumerateFiles(pack, "*.dll"))
        {
            using var pe = new PEReader(File.OpenRead(dll));
            if (!pe.HasMetadata)
            {
                continue;
            }

            MetadataReader md = pe.GetMetadataReader();
            foreach (TypeDefinitionHandle handle in md.TypeDefinitions)
            {
                TypeDefinition type = md.GetTypeDefinition(handle);
                string ns = md.GetString(type.Namespace);
                if (type.GetDeclaringType().IsNil && (type.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public && s_namespaces.Contains(ns))
                {
                    theirs[StripArity(md.GetString(type.Name))] = ns;
                }
            }
        }

        Assert.Contains("ProcessExitStatus", theirs.Keys);
        string[] collisions = typeof(Os).Assembly.GetExportedTypes()
            .Where(t => !t.IsNested && theirs.ContainsKey(StripArity(t.Name)))
            .Select(t => $"{t.FullName} collides with {theirs[StripArity(t.Name)]}.{StripArity(t.Name)}")
            .ToArray();
        Assert.Empty(collisions);
    }

    [Fact]
    public void Every_public_OsKill_type_is_named_in_the_file_that_imports_everything()
    {
        // The compile-time half: ImportsEverything names each type without qualification, under
        // every using that a program next to OsKill has; the .NET 11 lane compiles it against 11.0.0.
        Type[] exported = typeof(Os).Assembly.GetExportedTypes().Where(t => !t.IsNested).ToArray();
        Assert.Equal(exported.Select(t => t.FullName).Order(), ImportsEverything.Types.Select(t => t.FullName).Order());
    }

    private static string StripArity(string name) => name.Split('`')[0];
}
