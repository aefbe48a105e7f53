using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using BenchmarkDotNet.Attributes;
using Mono.Unix.Native;

namespace OsKill.Bench;

/// <summary>
/// One existence check (signal 0) of a live child, the ways a .NET program can make it. The child
/// is a <c>sleep</c> started in <see cref="Setup"/> and killed in <see cref="Cleanup"/>. No audit
/// hook is registered in this process.
/// </summary>
[MemoryDiagnoser]
[SupportedOSPlatform("linux")]
public partial class KillBenchmarks
{
    private Process? _child;
    private int _pid;
    private SafePidfdHandle? _pidfd;
    private ProcessHandle? _handle;

    [GlobalSetup]
    public void Setup()
    {
        _child = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        _pid = _child.Id;
        _pidfd = Os.PidfdOpen(_pid);
        _handle = ProcessHandle.FromProcess(_child);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _handle?.Dispose();
        _pidfd?.Dispose();
        if (_child is not null)
        {
            _child.Kill();
            _child.WaitForExit();
            _child.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "Os.Kill(pid, 0)")]
    public void OsKillPid() => Os.Kill(_pid, 0);

    [Benchmark(Description = "Os.Kill(pidfd, 0)")]
    public void OsKillPidfd() => Os.Kill(_pidfd!, 0);

    [Benchmark(Description = "ProcessHandle.Signal(0)")]
    public void HandleSignal() => _handle!.Signal(0);

    /// <summary>The same declaration as the library's own: what a user would write by hand.</summary>
    [Benchmark(Description = "[LibraryImport] kill(pid, 0)")]
    public int BareKill()
    {
        int r = kill(_pid, 0);
        return r == 0 ? r : throw new InvalidOperationException($"kill: errno {Marshal.GetLastPInvokeError()}");
    }

    [Benchmark(Description = "Process.GetProcessById(pid)")]
    public int GetProcessById()
    {
        using var p = Process.GetProcessById(_pid);
        return p.Id;
    }

    [Benchmark(Description = "Mono.Unix Syscall.kill(pid, 0)")]
    [BenchmarkCategory("mono")]
    public int MonoUnixKill()
    {
        int r = Syscall.kill(_pid, (Signum)0);
        return r == 0 ? r : throw new InvalidOperationException($"Syscall.kill: {Stdlib.GetLastError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
