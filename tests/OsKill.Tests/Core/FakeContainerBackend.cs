using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OsKill.Core;

namespace OsKill.Tests.Core;

/// <summary>
/// A container of fake members for the container stop's logic: each member exits on the signals
/// its rule says, a signal may make a member fork a new one, and every send is recorded. No process
/// is involved; ContainerStopTests run the same behaviour against a real cgroup.
/// </summary>
internal sealed class FakeContainerBackend : IContainerBackend
{
    private readonly object _gate = new();
    private readonly Dictionary<int, Func<int, bool>> _live = [];

    public const int Kill = 9;

    public List<(int Signal, int[] Pids)> Sends { get; } = [];

    /// <summary>Forks: when a member listed here gets the signal, a new member (pid, rule) appears.</summary>
    public Dictionary<(int Pid, int Signal), (int Pid, Func<int, bool> ExitsOn)> Forks { get; } = [];

    public string? CgroupPath => null;

    public void AddMember(int pid, Func<int, bool> exitsOn)
    {
        lock (_gate)
        {
            _live[pid] = exitsOn;
        }
    }

    public bool IsAlive(int pid)
    {
        lock (_gate)
        {
            return _live.ContainsKey(pid);
        }
    }

    /// <summary>Ends a member as if it had exited by itself.</summary>
    public void End(int pid)
    {
        lock (_gate)
        {
            _live.Remove(pid);
        }
    }

    public IReadOnlyList<int> ProcessIds()
    {
        lock (_gate)
        {
            return [.. _live.Keys.Order()];
        }
    }

    public IReadOnlyList<int> Signal(int signal, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            int[] reached = [.. _live.Keys.Order()];
            Sends.Add((signal, reached));
            foreach (int pid in reached)
            {
                Deliver(pid, signal);
            }

            return reached;
        }
    }

    /// <summary>One signal to one member (the main process's handle sends through this).</summary>
    public void Deliver(int pid, int signal)
    {
        lock (_gate)
        {
            if (!_live.TryGetValue(pid, out Func<int, bool>? exitsOn))
            {
                throw new ProcessLookupException(3, $"No such process: no fake pid {pid}");
            }

            if (Forks.TryGetValue((pid, signal), out (int Pid, Func<int, bool> ExitsOn) child))
            {
                _live[child.Pid] = child.ExitsOn;
            }

            if (exitsOn(signal))
            {
                _live.Remove(pid);
            }
        }
    }

    public bool IsKill(int signal) => signal == Kill;

    public async Task WaitUntilEmptyAsync(CancellationToken cancellationToken)
    {
        while (ProcessIds().Count > 0)
        {
            await Task.Delay(5, cancellationToken);
        }
    }

    public void Add(int pid) => throw new NotSupportedException();

    public void Add(Process process) => throw new NotSupportedException();

    public Process Start(ProcessStartInfo startInfo) => throw new NotSupportedException();

    public Task<TreeKillResult> KillAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A handle core for one fake member: its signals go through the backend.</summary>
    internal sealed class MainCore(FakeContainerBackend backend, int pid) : IProcessHandleCore
    {
        public int Pid => pid;

        public SafeHandle Handle { get; } = new SafeFileHandle(IntPtr.Zero, ownsHandle: false);

        public bool HasExited() => !backend.IsAlive(pid);

        public void Signal(int sig) => backend.Deliver(pid, sig);

        public async Task WaitForExitAsync(CancellationToken cancellationToken)
        {
            while (backend.IsAlive(pid))
            {
                await Task.Delay(5, cancellationToken);
            }
        }

        public ExitStatus? ReadExitStatus() => null;

        public void RequireTreeSupport() => throw new NotSupportedException();

        public Task<TreeKillResult> KillTreeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<TreeStopResult> StopTreeAsync(StopOptions options, CancellationToken cancellationToken) => throw new NotSupportedException();

        public void Dispose() => Handle.Dispose();
    }
}
