using System.Globalization;

namespace OsKill.Bench;

/// <summary>The harness programs' options: <c>--name value</c> pairs and bare <c>--flag</c>s.</summary>
internal sealed class Args(string[] args)
{
    public string Get(string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    public int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public double Double(string name, double fallback) => double.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public bool Has(string flag) => Array.IndexOf(args, flag) >= 0;

    /// <summary>The repository: the nearest folder above the program that holds OsKill.sln.</summary>
    public static string RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "OsKill.sln")))
            {
                return d.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    /// <summary>Where bench/run.sh puts the results and the compiled helpers: artifacts/bench.</summary>
    public string Artifacts => Get("--artifacts", Path.Combine(RepoRoot(), "artifacts", "bench"));

    /// <summary>A helper compiled by bench/run.sh (gcc) into artifacts/bench/bin.</summary>
    public string Helper(string name)
    {
        string path = Path.Combine(Artifacts, "bin", name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: bench/run.sh compiles it (gcc -O2 bench/native/{name}.c)", path);
    }
}
