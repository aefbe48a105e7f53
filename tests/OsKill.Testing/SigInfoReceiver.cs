using System.Diagnostics;

namespace OsKill.Testing;

/// <summary>
/// A small C program, compiled with gcc once per test class that uses it (a class fixture), that
/// reads the siginfo of the signals it receives: what a .NET child cannot see.
/// </summary>
/// <remarks>
/// <c>recv COUNT SIG...</c> blocks the signals, prints "ready PID", waits until stdin closes (so
/// that everything sent meanwhile stays pending and is taken in the kernel's order), then takes
/// COUNT of them with sigtimedwait and prints "got SIGNO SI_CODE SIVAL_INT SI_PID" for each, then
/// "done"; "timeout" if none comes for 10 s.
/// </remarks>
public sealed class SigInfoReceiver : IDisposable
{
    private const string Source = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <signal.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>

        int main(int argc, char **argv)
        {
            int count = atoi(argv[1]);
            sigset_t set;
            sigemptyset(&set);
            for (int i = 2; i < argc; i++)
                sigaddset(&set, atoi(argv[i]));
            if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
                perror("sigprocmask");
                return 2;
            }
            printf("ready %d\n", (int)getpid());
            fflush(stdout);
            while (getchar() != EOF) {
            }
            for (int i = 0; i < count; i++) {
                siginfo_t si;
                struct timespec limit = { 10, 0 };
                int sig = sigtimedwait(&set, &si, &limit);
                if (sig < 0) {
                    if (errno == EINTR) {
                        i--;
                        continue;
                    }
                    printf("timeout\n");
                    fflush(stdout);
                    return 1;
                }
                printf("got %d %d %d %d\n", sig, si.si_code, si.si_value.sival_int, (int)si.si_pid);
                fflush(stdout);
            }
            printf("done\n");
            fflush(stdout);
            return 0;
        }
        """;

    private readonly string _directory;

    public SigInfoReceiver()
    {
        _directory = Directory.CreateTempSubdirectory("oskill-siginfo-").FullName;
        string? gcc = new[] { "/usr/bin/gcc", "/usr/local/bin/gcc" }.FirstOrDefault(File.Exists);
        if (gcc is null)
        {
            MissingReason = "gcc is not installed: the sigqueue receiver is a C program compiled at test time";
            return;
        }

        string source = Path.Combine(_directory, "recv.c");
        File.WriteAllText(source, Source);
        string binary = Path.Combine(_directory, "recv");
        var psi = new ProcessStartInfo(gcc)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-O", "-Wall", "-Werror", "-o", binary, source })
        {
            psi.ArgumentList.Add(a);
        }

        using Process compiler = Process.Start(psi)!;
        string errors = compiler.StandardError.ReadToEnd();
        compiler.StandardOutput.ReadToEnd();
        if (!compiler.WaitForExit(60_000) || compiler.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc could not build the receiver: {errors}");
        }

        Path_ = binary;
    }

    /// <summary>Why the receiver is not available, or null when it is.</summary>
    public string? MissingReason { get; }

    private string? Path_ { get; }

    /// <summary>Starts a receiver for <paramref name="count"/> of <paramref name="signals"/>; skips the test without gcc.</summary>
    public Task<Child> StartAsync(int count, params int[] signals)
    {
        if (MissingReason is not null)
        {
            Assert.Skip(MissingReason);
        }

        return Child.StartCommandAsync([Path_!, count.ToString(), .. signals.Select(s => s.ToString())]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
