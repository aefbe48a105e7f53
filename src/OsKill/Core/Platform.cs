namespace OsKill.Core;

/// <summary>
/// The name of the OS, for messages: <see cref="PlatformServices.Name"/>, where the platform is
/// chosen. Kept only for the callers not yet moved to it (ProcessTree.cs); remove it with them.
/// </summary>
internal static class Platform
{
    internal static string Name => PlatformServices.Name;
}
