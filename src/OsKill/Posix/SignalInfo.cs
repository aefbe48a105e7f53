using System.Runtime.InteropServices;
using OsKill.Interop;

namespace OsKill.Posix;

/// <summary>What the C library knows about signals: their descriptions and which ones are valid.</summary>
internal static class SignalInfo
{
    /// <summary>strsignal, as CPython reads it: null where libc answers "Unknown signal".</summary>
    internal static string? Describe(int sig)
    {
        // glibc 2.32+ returns a constant string for known signals and a thread-local buffer
        // otherwise; we copy it at once either way.
        string? text = Marshal.PtrToStringUTF8(Libc.StrSignal(sig));
        return text is null || text.Contains("Unknown signal", StringComparison.Ordinal) ? null : text;
    }

    /// <summary>sigfillset, then every number below NSIG that is a member: CPython's valid_signals.</summary>
    internal static unsafe IReadOnlySet<int> ValidSignals(int nsig)
    {
        byte* set = stackalloc byte[Libc.SigSetBufferSize];
        if (Libc.SigFillSet(set) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new OsException(errno, $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}: sigfillset failed.");
        }

        var valid = new SortedSet<int>();
        for (int sig = 1; sig < nsig; sig++)
        {
            if (Libc.SigIsMember(set, sig) == 1)
            {
                valid.Add(sig);
            }
        }

        return valid;
    }
}
