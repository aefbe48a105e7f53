namespace OsKill.Core;

/// <summary>Names the operating system that the process runs on, for messages.</summary>
internal static class Platform
{
    internal static string Name { get; } =
        OperatingSystem.IsLinux() ? "Linux"
        : OperatingSystem.IsMacOS() ? "macOS"
        : OperatingSystem.IsFreeBSD() ? "FreeBSD"
        : OperatingSystem.IsWindows() ? "Windows"
        : System.Runtime.InteropServices.RuntimeInformation.OSDescription;
}
