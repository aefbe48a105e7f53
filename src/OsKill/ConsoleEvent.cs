namespace OsKill;

/// <summary>A Windows console control event: what a user sends by pressing Ctrl+C or Ctrl+Break in a console window.</summary>
public enum ConsoleEvent
{
    /// <summary>Ctrl+C (CTRL_C_EVENT, 0).</summary>
    CtrlC = 0,

    /// <summary>Ctrl+Break (CTRL_BREAK_EVENT, 1).</summary>
    CtrlBreak = 1,
}
