using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace OsKill.Cli.Run;

/// <summary>
/// Catches the signals a supervisor passes on (INT, TERM, HUP, QUIT, USR1, USR2, WINCH), so that
/// oskill itself does not die of them, and sends each to CMD: its pid, its process group, or every
/// member of the container, after the rewrite map (-r S:R; R = 0 drops S).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class SignalForwarder : IDisposable
{
    private readonly RunOptions _options;
    private readonly int _main;
    private readonly IRunContainer _container;
    private readonly CommandWaiter _waiter;
    private readonly Action<string>? _log;
    private readonly List<PosixSignalRegistration> _registrations = [];

    private SignalForwarder(RunOptions options, int main, IRunContainer container, CommandWaiter waiter, Action<string>? log)
    {
        _options = options;
        _main = main;
        _container = container;
        _waiter = waiter;
        _log = log;
    }

    /// <summary>Starts forwarding to CMD, whose pid (and process group id) is <paramref name="main"/>.</summary>
    internal static SignalForwarder Start(RunOptions options, int main, IRunContainer container, CommandWaiter waiter, Action<string>? log)
    {
        var forwarder = new SignalForwarder(options, main, container, waiter, log);
        foreach (int sig in RunOptions.ForwardedSignals)
        {
            forwarder._registrations.Add(PosixSignalRegistration.Create(ToPosixSignal(sig), context =>
            {
                context.Cancel = true;
                forwarder.Forward(sig);
            }));
        }

        return forwarder;
    }

    /// <summary>.NET's names where it has one (its own handling of INT, QUIT, TERM is then cancelled), the raw number otherwise.</summary>
    internal static PosixSignal ToPosixSignal(int sig) =>
        sig == Signal.SIGINT ? PosixSignal.SIGINT
        : sig == Signal.SIGTERM ? PosixSignal.SIGTERM
        : sig == Signal.SIGHUP ? PosixSignal.SIGHUP
        : sig == Signal.SIGQUIT ? PosixSignal.SIGQUIT
        : sig == Signal.SIGWINCH ? PosixSignal.SIGWINCH
        : (PosixSignal)sig;

    private void Forward(int received)
    {
        int sig = _options.Rewrites.TryGetValue(received, out int rewritten) ? rewritten : received;
        string what = sig == received ? ExitText.SignalText(sig) : $"{ExitText.SignalText(received)} as {ExitText.SignalText(sig)}";
        if (sig == 0)
        {
            _log?.Invoke($"received {ExitText.SignalText(received)}: dropped (-r)");
            return;
        }

        try
        {
            switch (_options.ForwardTo)
            {
                case ForwardTarget.Main:
                    bool sent = _waiter.SendIfRunning(sig); // not inside _log?.Invoke(...), which skips its argument without -v
                    _log?.Invoke(sent
                        ? $"forwarded {what} to CMD, pid {_main}"
                        : $"received {ExitText.SignalText(received)}: not forwarded, CMD has exited");
                    break;
                case ForwardTarget.Group:
                    Send(-_main, sig);
                    _log?.Invoke($"forwarded {what} to CMD's process group {_main}");
                    break;
                default:
                    IReadOnlyList<int> reached = _container.Signal(sig);
                    _log?.Invoke($"forwarded {what} to every member: {string.Join(' ', reached)}");
                    break;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OsException)
        {
            _log?.Invoke($"could not forward {what}: {e.Message}");
        }
    }

    // kill(-pgid): the group id is CMD's pid, which no new process gets while the group has members.
    private static void Send(int target, int sig)
    {
        if (Native.Kill(target, sig) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"kill({target}, {sig}): {Native.Message(errno)}");
        }
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration r in _registrations)
        {
            r.Dispose();
        }
    }
}
