using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>
/// The controlling terminal, when oskill runs in its foreground: CMD gets the foreground (its
/// process group, as tini does), so that a Ctrl+C typed there reaches CMD's group once, from the
/// kernel, and never oskill, which would forward it a second time. The foreground comes back to
/// oskill's group when CMD is done.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class Terminal : IDisposable
{
    private int _fd;

    private Terminal(int fd) => _fd = fd;

    /// <summary>The terminal, if oskill has one and its process group is in the foreground there; else null.</summary>
    internal static Terminal? IfForeground()
    {
        int fd = Native.Open("/dev/tty", Native.ORdWr | Native.OCloexec);
        if (fd < 0)
        {
            return null;
        }

        if (Native.TcGetPgrp(fd) != Native.GetPgrp())
        {
            _ = Native.Close(fd);
            return null;
        }

        return new Terminal(fd);
    }

    /// <summary>Puts process group <paramref name="pgid"/> in the foreground.</summary>
    internal void Give(int pgid) => SetForeground(pgid);

    /// <summary>Puts oskill's own group back in the foreground, and closes the terminal.</summary>
    public void Dispose()
    {
        if (_fd < 0)
        {
            return;
        }

        SetForeground(Native.GetPgrp());
        _ = Native.Close(_fd);
        _fd = -1;
    }

    // tcsetpgrp from a background group raises SIGTTOU unless the caller blocks it: block it on this
    // thread for the call (a blocked SIGTTOU is not sent at all).
    private void SetForeground(int pgid)
    {
        byte* set = stackalloc byte[Native.SigSetBytes];
        byte* old = stackalloc byte[Native.SigSetBytes];
        _ = Native.SigEmptySet(set);
        _ = Native.SigAddSet(set, Signal.SIGTTOU);
        _ = Native.PthreadSigMask(Native.SigBlock, set, old);
        _ = Native.TcSetPgrp(_fd, pgid);
        _ = Native.PthreadSigMask(Native.SigSetMask, old, null);
    }
}
