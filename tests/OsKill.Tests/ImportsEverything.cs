// The usings are the point of this file (the names an ordinary program imports), used or not.
#pragma warning disable IDE0005
using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OsKill;

namespace OsKill.Tests;

/// <summary>
/// Every public OsKill type, named without qualification under the usings that an ordinary program
/// has next to <c>using OsKill;</c>. A name that .NET 11 also has in one of those namespaces makes
/// this file fail to compile (CS0104) in the .NET 11 lane.
/// </summary>
internal static class ImportsEverything
{
    internal static readonly Type[] Types =
    [
        typeof(Audit), typeof(ConsoleControl), typeof(ConsoleEvent), typeof(Os), typeof(OsException),
        typeof(PermissionDeniedException), typeof(ProcessContainer), typeof(ContainerKillMode), typeof(ContainerStopResult),
        typeof(ContainerMemberResult), typeof(ExitStatus), typeof(ProcessExtensions),
        typeof(ProcessHandle), typeof(ProcessLookupException), typeof(ProcessTree), typeof(SafePidfdHandle), typeof(Signal),
        typeof(StopOptions), typeof(StopOutcome), typeof(StopResult), typeof(StopStep), typeof(TreeKillResult), typeof(TreeStopResult),
    ];

    // The .NET types these usings bring, so that none of them is unused.
    internal static readonly Type[] Theirs = [typeof(Process), typeof(PosixSignal), typeof(SafeProcessHandle)];
}
