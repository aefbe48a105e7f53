using System.Diagnostics;

namespace OsKill.Testing;

/// <summary>The oracle: Debian's python3, which also runs for unprivileged users.</summary>
public static class Python
{
    public static string Executable { get; } = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>
    /// Runs a script in isolated mode (-I: no user site, no PYTHON* variables) with these arguments,
    /// optionally behind a wrapper command such as setpriv, and returns its standard output.
    /// </summary>
    public static async Task<string> RunAsync(string script, IEnumerable<string> args, IReadOnlyList<string>? wrapper = null)
    {
        var psi = new ProcessStartInfo(wrapper is { Count: > 0 } ? wrapper[0] : Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (wrapper is { Count: > 0 })
        {
            foreach (string w in wrapper.Skip(1))
            {
                psi.ArgumentList.Add(w);
            }

            psi.ArgumentList.Add(Executable);
        }

        psi.ArgumentList.Add("-I");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{psi.FileName} did not finish in time");
        }

        string output = await stdout;
        string errors = await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{psi.FileName} {string.Join(' ', psi.ArgumentList.Take(3))}... exited with {process.ExitCode}: {errors}");
        }

        return output;
    }
}
