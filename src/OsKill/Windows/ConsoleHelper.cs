namespace OsKill.Windows;

/// <summary>The helper side of <see cref="ConsoleControl"/> (implementation follows).</summary>
internal static class ConsoleHelper
{
    internal static bool RunIfRequested() => false;
}
