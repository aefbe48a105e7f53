namespace OsKill.Core;

/// <summary>
/// What <see cref="StepChain"/> stops: one process, a process tree, or a container. It can
/// send one step and wait for the exit of what the step reached.
/// </summary>
internal interface IStopTarget
{
    /// <summary>
    /// Sends step <paramref name="index"/>. Returns false when nothing was left alive to receive
    /// it: then the previous step (or, for the first, nothing) ended the target.
    /// </summary>
    /// <exception cref="Exception">Whatever sending failed with; the chain passes it on unchanged.</exception>
    bool Send(int index, StopStep step, CancellationToken cancellationToken);

    /// <summary>
    /// Completes once what the last step reached has exited (true), or once the target knows that
    /// waiting longer is pointless and the next step should go now (false: a container stopped in
    /// mixed mode whose main process has exited with other members left); cancelled with
    /// <paramref name="cancellationToken"/>, which the chain cancels when a part of the step's
    /// time is up.
    /// </summary>
    Task<bool> WaitForExitAsync(CancellationToken cancellationToken);
}
