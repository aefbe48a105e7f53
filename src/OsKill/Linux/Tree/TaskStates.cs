using System.Runtime.Versioning;

namespace OsKill.Linux.Tree;

/// <summary>The state letters of /proc/PID/stat, as the tree walk reads them.</summary>
[SupportedOSPlatform("linux")]
internal static class TaskStates
{
    /// <summary>Stopped by a signal ('T') or by its tracer ('t').</summary>
    internal static bool IsStopped(char state) => state is 'T' or 't';

    /// <summary>A zombie, or dead.</summary>
    internal static bool IsExited(char state) => state is 'Z' or 'X' or 'x';

    /// <summary>The name of a state letter, for messages.</summary>
    internal static string Name(char state) => state switch
    {
        'R' => "running",
        'S' => "sleeping",
        'D' => "uninterruptible sleep",
        'T' => "stopped",
        't' => "stopped by its tracer",
        'Z' => "zombie",
        'X' or 'x' => "dead",
        'I' => "idle",
        'P' => "parked",
        'W' => "waking",
        _ => "unknown state",
    };

    /// <summary>
    /// Whether a wchan (a task's wait channel) is a parent's wait for its vfork child: the parent
    /// sleeps uninterruptibly until the child execs or exits, and cannot run (or fork) before then.
    /// </summary>
    internal static bool IsVforkWait(ReadOnlySpan<byte> wchan) =>
        wchan.SequenceEqual("kernel_clone"u8) || wchan.SequenceEqual("wait_for_vfork_done"u8) || wchan.SequenceEqual("_do_fork"u8);
}
