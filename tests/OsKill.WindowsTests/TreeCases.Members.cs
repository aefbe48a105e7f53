using Microsoft.Win32.SafeHandles;

namespace OsKill.WindowsTests;

internal static partial class TreeCases
{
    /// <summary>
    /// Handles on a tree's members, opened by the driver as soon as they were reported: exit codes
    /// stay readable and no pid can be reused. Dispose ends those still running.
    /// </summary>
    private sealed class Members : IDisposable
    {
        private readonly Dictionary<int, SafeProcessHandle> _handles = [];

        internal Members(IEnumerable<int> pids, bool mustOpen = true)
        {
            foreach (int pid in pids)
            {
                SafeProcessHandle? h = Native.TryOpen(pid);
                if (h is not null)
                {
                    _handles[pid] = h;
                }
                else if (mustOpen)
                {
                    Dispose();
                    throw new TestFailure($"member {pid} cannot be opened: it exited too early");
                }
            }
        }

        internal int Count => _handles.Count;

        internal List<int> Alive() =>
            [.. _handles.Where(kv => Native.WaitForSingleObject(kv.Value, 0) == Native.WAIT_TIMEOUT).Select(kv => kv.Key)];

        internal uint? ExitCode(int pid)
        {
            SafeProcessHandle h = _handles[pid];
            if (Native.WaitForSingleObject(h, (uint)Seen.TotalMilliseconds) != Native.WAIT_OBJECT_0)
            {
                return null;
            }

            return Native.GetExitCodeProcess(h, out uint code) ? code : null;
        }

        public void Dispose()
        {
            foreach (SafeProcessHandle h in _handles.Values)
            {
                if (Native.WaitForSingleObject(h, 0) == Native.WAIT_TIMEOUT)
                {
                    _ = Native.TerminateProcess(h, 0xDEAD);
                    _ = Native.WaitForSingleObject(h, 5000);
                }

                h.Dispose();
            }

            _handles.Clear();
        }
    }
}
