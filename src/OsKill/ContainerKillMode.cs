namespace OsKill;

/// <summary>
/// Which members of a <see cref="ProcessContainer"/> a stop's steps reach, as systemd's
/// <c>KillMode=</c> says it.
/// </summary>
public enum ContainerKillMode
{
    /// <summary>
    /// Every step goes to every member (systemd's <c>control-group</c>, its default): the polite
    /// signal reaches the helpers and workers as well as the main process.
    /// </summary>
    ControlGroup,

    /// <summary>
    /// The steps before the last go to the main process only (<see cref="ProcessContainer.MainProcessId"/>),
    /// which is left to stop its own children; the last step goes to every member still there
    /// (systemd's <c>mixed</c>). Once the main process has exited, the last step goes at once.
    /// </summary>
    Mixed,
}
