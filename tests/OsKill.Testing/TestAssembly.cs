using System.Reflection;

namespace OsKill.Testing;

/// <summary>
/// What the test project wrote into its own assembly at build time ([AssemblyMetadata] items of
/// its .csproj, such as the path of the built test child). The utilities live in this library,
/// the metadata in the test assembly: a test project on Microsoft.Testing.Platform is its own
/// executable, so the entry assembly is the one that has it.
/// </summary>
public static class TestAssembly
{
    /// <summary>
    /// The value of the [AssemblyMetadata] called <paramref name="key"/>: from the entry assembly,
    /// else from any loaded assembly that has it (a runner that hosts the tests itself).
    /// </summary>
    public static string Metadata(string key)
    {
        var entry = Assembly.GetEntryAssembly();
        IEnumerable<Assembly> candidates = entry is null
            ? AppDomain.CurrentDomain.GetAssemblies()
            : AppDomain.CurrentDomain.GetAssemblies().Prepend(entry);
        foreach (Assembly assembly in candidates)
        {
            if (assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value is string value)
            {
                return value;
            }
        }

        throw new InvalidOperationException(
            $"no assembly of this test run (entry: {entry?.GetName().Name ?? "none"}) has [AssemblyMetadata(\"{key}\", ...)]: the test project's .csproj sets it as an AssemblyAttribute item");
    }
}
