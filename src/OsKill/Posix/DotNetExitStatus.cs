using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.InteropServices;

namespace OsKill.Posix;

/// <summary>
/// How a child ended that .NET's <see cref="Process"/> has reaped, where waitid has nothing left to
/// read. .NET 11 keeps the wait status and says which signal ended the child
/// (<c>Process.TryWaitForExitStatus</c>); earlier runtimes give only <see cref="Process.ExitCode"/>,
/// which is 128 + N for death by signal N and so cannot tell that from an exit with 128 + N. OsKill is
/// built for net8.0 and net10.0, so the .NET 11 method is found by name at run time (the trimmer and
/// NativeAOT keep a method named by a constant).
/// </summary>
internal static class DotNetExitStatus
{
    // Null before .NET 11; looked up once.
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)]
    private static readonly Type? s_processExitStatus = ProcessExitStatusType();

    private static readonly MethodInfo? s_tryWaitForExitStatus =
        typeof(Process).GetMethod("TryWaitForExitStatus", BindingFlags.Public | BindingFlags.Instance, [typeof(TimeSpan), s_processExitStatus?.MakeByRefType() ?? typeof(void)]);

    private static readonly PropertyInfo? s_signal = s_processExitStatus?.GetProperty("Signal", BindingFlags.Public | BindingFlags.Instance);

    /// <summary>The status of <paramref name="process"/>, which has exited.</summary>
    internal static ExitStatus Read(Process process)
    {
        if (s_tryWaitForExitStatus is not null && s_signal is not null)
        {
            object?[] arguments = [TimeSpan.Zero, null];
            if (s_tryWaitForExitStatus.Invoke(process, BindingFlags.DoNotWrapExceptions, null, arguments, null) is true && arguments[1] is object status)
            {
                return s_signal.GetValue(status) is PosixSignal signal
                    ? new ExitStatus(null, Signal.FromPosixSignal(signal))
                    : new ExitStatus(process.ExitCode, null);
            }
        }

        return ExitStatus.FromDotNetExitCode(process.ExitCode, Signal.NSIG);
    }

    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)]
    private static Type? ProcessExitStatusType() => Type.GetType("System.Diagnostics.ProcessExitStatus, System.Diagnostics.Process", throwOnError: false);
}
