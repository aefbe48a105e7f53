using OsKill.Core;

namespace OsKill.Windows;

/// <summary>What <see cref="ProcessContainer.Signal"/> and <see cref="ProcessContainer.StopAsync"/> use: the signals to every member, and the wait until the job is empty.</summary>
internal sealed partial class JobObjectContainer
{
    /// <summary>
    /// CTRL_C_EVENT and CTRL_BREAK_EVENT: the polite close of each member (see <see cref="JobPoliteClose"/>).
    /// Any other number: TerminateJobObject with it as the exit code, as <see cref="KillAsync"/> does
    /// with −1, without the wait. Every member listed is announced first; a veto sends nothing.
    /// </summary>
    public IReadOnlyList<int> Signal(int signal, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        _killing.Wait(cancellationToken);
        try
        {
            ThrowIfDisposed();
            if (!IsKill(signal))
            {
                return JobPoliteClose.Send(_job, QueryProcessIds(), signal, cancellationToken);
            }

            List<int> killed = ListForKill();
            KillAnnouncement.AnnounceAll(killed, signal, out _);
            Terminate(killed, signal);
            return killed;
        }
        finally
        {
            _killing.Release();
        }
    }

    /// <summary>Every number but the console events is an exit code: TerminateJobObject.</summary>
    public bool IsKill(int signal) => signal is not (WindowsSignals.CtrlCEvent or WindowsSignals.CtrlBreakEvent);

    /// <summary>
    /// Completes once the job has no active process, woken by the packets on its completion port
    /// (JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO among them), on a pool thread; no time limit but the token.
    /// A disposal during the wait closes the port under it: that is an <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async Task WaitUntilEmptyAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _killing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The port is associated (at the first wait or kill) before the count is read, so
            // that an exit after the read posts its message where the wait will see it.
            ThrowIfDisposed();
            _ = Port();
            if (ActiveProcesses() == 0)
            {
                return;
            }
        }
        finally
        {
            _killing.Release();
        }

        try
        {
            _ = await WaitUntilEmptyAsync(synchronously: false, Deadline.None, cancellationToken).ConfigureAwait(false);
        }
        catch (OsException e) when (_disposed)
        {
            // Disposed meanwhile: the job and its port were closed under the wait.
            throw new ObjectDisposedException($"The process container was disposed while a wait for it to empty was pending ({e.Message}).", e);
        }
    }
}
