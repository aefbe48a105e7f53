using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace OsKill.Cli.Run;

/// <summary>
/// A forwarded signal that oskill inherited as ignored (a background job ignores INT and QUIT, nohup
/// HUP, a CI runner any of them) would never reach oskill (and an ignored SIGCHLD would lose CMD's status): the kernel discards it. .NET respects an
/// inherited SIG_IGN (it installs no handler, and PosixSignalRegistration then never fires), and it
/// decides that when the runtime starts, before Main. So oskill run sets those signals back to their
/// default action and execs itself again, once, with the same command line: the new runtime then
/// installs its handlers for them.
/// </summary>
[SupportedOSPlatform("linux")]
internal static unsafe class InheritedDispositions
{
    private const string Marker = "OSKILL_RUN_REEXEC";

    /// <summary>Re-execs oskill if a forwarded signal is ignored; returns only if it did not (or could not, said on <paramref name="log"/>).</summary>
    internal static void ResetIgnoredByReexec(Action<string>? log)
    {
        if (Environment.GetEnvironmentVariable(Marker) is not null)
        {
            Environment.SetEnvironmentVariable(Marker, null); // not CMD's
            return;
        }

        // SIGCHLD too: inherited as ignored, the kernel reaps CMD itself and its status is lost.
        List<int> ignored = [.. RunOptions.ForwardedSignals.Append(Signal.SIGCHLD).Where(IsIgnored)];
        if (ignored.Count == 0)
        {
            return;
        }

        string?[] argv = CommandLine();
        if (argv.Length == 0)
        {
            log?.Invoke("could not read /proc/self/cmdline: the ignored signals stay ignored");
            return;
        }

        byte* action = stackalloc byte[Native.SigActionBytes];
        new Span<byte>(action, Native.SigActionBytes).Clear(); // SIG_DFL, no flags, empty mask
        foreach (int sig in ignored)
        {
            _ = Native.SigAction(sig, action, null);
        }

        Environment.SetEnvironmentVariable(Marker, "1");
        _ = Native.Execv("/proc/self/exe", [.. argv, null]);
        int errno = Marshal.GetLastPInvokeError();
        Environment.SetEnvironmentVariable(Marker, null);
        log?.Invoke($"could not exec itself again to take the ignored signals {string.Join(' ', ignored)}: {Native.Message(errno)}");
    }

    private static bool IsIgnored(int sig)
    {
        byte* old = stackalloc byte[Native.SigActionBytes];
        return Native.SigAction(sig, null, old) == 0 && *(nint*)old == 1; // SIG_IGN
    }

    private static string?[] CommandLine()
    {
        try
        {
            string text = Encoding.UTF8.GetString(File.ReadAllBytes("/proc/self/cmdline"));
            return text.TrimEnd('\0').Split('\0');
        }
        catch (IOException)
        {
            return [];
        }
    }
}
