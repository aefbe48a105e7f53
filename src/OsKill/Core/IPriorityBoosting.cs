namespace OsKill.Core;

/// <summary>A tree backend that runs the freeze and the kill at raised priority (see Posix/PriorityBoost).</summary>
internal interface IPriorityBoosting
{
    /// <summary>Raises the calling thread's priority until the result is disposed.</summary>
    IDisposable Boost();
}
