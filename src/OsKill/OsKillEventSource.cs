using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Tracing;

namespace OsKill;

/// <summary>
/// Traces every signal OsKill sends, so that an operator can watch a running program with
/// <c>dotnet-trace collect --providers OsKill</c> and see who sent what. Each event carries the
/// target, the signal and the outcome as an errno (0 for success). Internal: the provider name
/// "OsKill" and the events are the contract, not this type.
/// </summary>
[EventSource(Name = "OsKill")]
internal sealed class OsKillEventSource : EventSource
{
    /// <summary>The one instance.</summary>
    public static readonly OsKillEventSource Log = new();

    private OsKillEventSource()
    {
    }

    /// <summary>kill(pid, sig) returned; errno is 0 on success.</summary>
    /// <param name="pid">The pid argument, with its kill(2) meaning.</param>
    /// <param name="sig">The signal.</param>
    /// <param name="errno">0, or the error.</param>
    [Event(1, Level = EventLevel.Informational, Message = "kill(pid={0}, sig={1}) errno={2}")]
    public void Kill(int pid, int sig, int errno)
    {
        if (IsEnabled())
        {
            WriteEvent(1, pid, sig, errno);
        }
    }

    /// <summary>killpg(pgid, sig) returned, or was refused.</summary>
    /// <param name="pgid">The process group.</param>
    /// <param name="sig">The signal.</param>
    /// <param name="errno">0, or the error.</param>
    [Event(2, Level = EventLevel.Informational, Message = "killpg(pgid={0}, sig={1}) errno={2}")]
    public void KillPg(int pgid, int sig, int errno)
    {
        if (IsEnabled())
        {
            WriteEvent(2, pgid, sig, errno);
        }
    }

    /// <summary>pidfd_send_signal returned.</summary>
    /// <param name="pidfd">The descriptor.</param>
    /// <param name="pid">The pid it was opened for, or −1 when unknown.</param>
    /// <param name="sig">The signal.</param>
    /// <param name="errno">0, or the error.</param>
    [Event(3, Level = EventLevel.Informational, Message = "pidfd_send_signal(pidfd={0} pid={1}, sig={2}) errno={3}")]
    public void PidfdSendSignal(int pidfd, int pid, int sig, int errno)
    {
        if (IsEnabled())
        {
            WriteInts(3, pidfd, pid, sig, errno);
        }
    }

    /// <summary>pthread_kill returned.</summary>
    /// <param name="threadId">The pthread_t.</param>
    /// <param name="sig">The signal.</param>
    /// <param name="errno">0, or the error.</param>
    [Event(4, Level = EventLevel.Informational, Message = "pthread_kill(thread={0}, sig={1}) errno={2}")]
    public void PthreadKill(long threadId, int sig, int errno)
    {
        if (IsEnabled())
        {
            WriteLongIntInt(4, threadId, sig, errno);
        }
    }

    /// <summary>raise returned.</summary>
    /// <param name="sig">The signal.</param>
    /// <param name="errno">0, or the error.</param>
    [Event(5, Level = EventLevel.Informational, Message = "raise(sig={0}) errno={1}")]
    public void RaiseSignal(int sig, int errno)
    {
        if (IsEnabled())
        {
            WriteEvent(5, sig, errno);
        }
    }

    /// <summary>TerminateProcess or GenerateConsoleCtrlEvent returned (Windows).</summary>
    /// <param name="pid">The pid or console process group.</param>
    /// <param name="sig">The signal or console event.</param>
    /// <param name="winError">0, or the Win32 error.</param>
    [Event(6, Level = EventLevel.Informational, Message = "windows kill(pid={0}, sig={1}) winerror={2}")]
    public void WindowsKill(int pid, int sig, int winError)
    {
        if (IsEnabled())
        {
            WriteEvent(6, pid, sig, winError);
        }
    }

    /// <summary>
    /// A <see cref="ProcessContainer.Dispose"/> could not finish: it does not throw, so it says here
    /// what went wrong and what happens to what is left. Internal: the provider name and the event
    /// name are the contract, not this method.
    /// </summary>
    /// <param name="container">The cgroup directory, or "job object".</param>
    /// <param name="error">The exception's type and message.</param>
    /// <param name="handover">What happens to the members left: killed by the owner watchdog or the closing job, or spared after a veto.</param>
    [Event(7, Level = EventLevel.Warning, Message = "process container {0}: Dispose could not finish: {1}; {2}")]
    internal void ContainerDisposeFailed(string container, string error, string handover)
    {
        if (IsEnabled())
        {
            WriteEvent(7, container, error, handover);
        }
    }

    [NonEvent]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Every payload is a primitive int or long.")]
    private unsafe void WriteInts(int eventId, int a, int b, int c, int d)
    {
        EventData* data = stackalloc EventData[4];
        data[0] = new EventData { DataPointer = (nint)(&a), Size = sizeof(int) };
        data[1] = new EventData { DataPointer = (nint)(&b), Size = sizeof(int) };
        data[2] = new EventData { DataPointer = (nint)(&c), Size = sizeof(int) };
        data[3] = new EventData { DataPointer = (nint)(&d), Size = sizeof(int) };
        WriteEventCore(eventId, 4, data);
    }

    [NonEvent]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Every payload is a primitive int or long.")]
    private unsafe void WriteLongIntInt(int eventId, long a, int b, int c)
    {
        EventData* data = stackalloc EventData[3];
        data[0] = new EventData { DataPointer = (nint)(&a), Size = sizeof(long) };
        data[1] = new EventData { DataPointer = (nint)(&b), Size = sizeof(int) };
        data[2] = new EventData { DataPointer = (nint)(&c), Size = sizeof(int) };
        WriteEventCore(eventId, 3, data);
    }
}
