using System.Diagnostics;
using System.Globalization;

namespace OsKill.Tests;

/// <summary>
/// A tree call whose root has already exited cannot find the root's children (they were
/// reparented), so it throws ProcessLookupException: its message says that the descendants may
/// still be running, and how to avoid that (one tree call, or a ProcessContainer). The case from
/// the README's old usage block: StopAsync, then StopTreeAsync on the same process.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class TreeRootGoneTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> TreeCalls => ["StopTreeAsync", "KillTreeAsync"];

    [Theory]
    [MemberData(nameof(TreeCalls))]
    public Task A_tree_call_after_StopAsync_says_that_the_descendants_may_still_be_running(string call) =>
        TreeStopTests.WithBashTreeAsync("sleep 1000 & echo ready; wait", 2, async (bash, before, marker) =>
        {
            int root = bash.Id;
            await bash.StopAsync(StopOptions.Graceful(TimeSpan.FromSeconds(10)), Ct);
            await bash.WaitForExitAsync(Ct);
            await AssertReapedAsync(root);     // until then the root is a zombie (the case of the test further down)

            ProcessLookupException e = await Assert.ThrowsAsync<ProcessLookupException>(() => call == "StopTreeAsync"
                ? bash.StopTreeAsync(cancellationToken: Ct)
                : bash.KillTreeAsync(Ct));

            AssertSaysWhatBecameOfTheDescendants(e);
            Assert.Equal(root, e.Pid);
            Assert.Equal(3, e.Errno);

            // What the message says is so: the sleep lives on.
            Assert.Single(Trees.Alive(marker));
        });

    [Theory]
    [MemberData(nameof(TreeCalls))]
    public Task A_tree_call_on_a_handle_whose_root_was_reaped_says_that_the_descendants_may_still_be_running(string call) =>
        TreeStopTests.WithBashTreeAsync("sleep 1000 & echo ready; wait", 2, async (bash, before, marker) =>
        {
            using var handle = ProcessHandle.FromProcess(bash);
            await handle.StopAsync(StopOptions.Graceful(TimeSpan.FromSeconds(10)), Ct);
            await bash.WaitForExitAsync(Ct);
            await AssertReapedAsync(bash.Id);  // the pidfd names no process

            ProcessLookupException e = await Assert.ThrowsAsync<ProcessLookupException>(() => call == "StopTreeAsync"
                ? handle.StopTreeAsync(cancellationToken: Ct)
                : handle.KillTreeAsync(Ct));

            AssertSaysWhatBecameOfTheDescendants(e);
            Assert.Equal(bash.Id, e.Pid);
            Assert.Single(Trees.Alive(marker));
        });

    [Fact]
    public async Task ProcessTree_of_a_pid_that_names_no_process_keeps_the_errors_properties_and_says_what_to_do()
    {
        int pid = FreeIds.FindUnusedPid();
        OsException plain = Assert.ThrowsAny<OsException>(() => Os.PidfdOpen(pid).Dispose());

        foreach (Func<Task> treeCall in new Func<Task>[] { () => ProcessTree.KillAsync(pid, Ct), () => ProcessTree.StopAsync(pid, cancellationToken: Ct) })
        {
            ProcessLookupException e = await Assert.ThrowsAsync<ProcessLookupException>(treeCall);
            AssertSaysWhatBecameOfTheDescendants(e);
            Assert.StartsWith(plain.Message, e.Message, StringComparison.Ordinal);
            Assert.Equal((plain.Errno, plain.Pid, plain.Signal, plain.Operation, plain.OsMessage, plain.WinError, plain.HResult), (e.Errno, e.Pid, e.Signal, e.Operation, e.OsMessage, e.WinError, e.HResult));
        }
    }

    public static TheoryData<string> EveryTreeEntry => ["ProcessTree.KillAsync", "ProcessTree.StopAsync", "ProcessHandle.KillTreeAsync", "ProcessHandle.StopTreeAsync"];

    [Theory]
    [MemberData(nameof(EveryTreeEntry))]
    public async Task A_tree_call_on_a_root_that_exited_but_is_not_reaped_says_so_and_touches_nothing(string call)
    {
        // The root is a zombie: its parent (Python, holding the Popen) has not waited for it. Its
        // sleep was reparented when it exited, so a walk from it finds nothing; the call used to
        // return a success while the sleep ran on.
        const string Script = """
            import subprocess, time
            p = subprocess.Popen(["/bin/bash", "-c", "sleep 1000 & echo $!; exit 0"], stdout=subprocess.PIPE)
            print(p.pid, p.stdout.readline().decode().strip(), flush=True)
            time.sleep(1000)
            """;
        string marker = Trees.NewMarker();
        ProcessStartInfo psi = Trees.Python(marker, Script);
        psi.RedirectStandardOutput = true;
        using Process parent = Process.Start(psi)!;
        try
        {
            string[] pids = (await parent.StandardOutput.ReadLineAsync(Ct))!.Split(' ');
            int root = int.Parse(pids[0], CultureInfo.InvariantCulture);
            int sleep = int.Parse(pids[1], CultureInfo.InvariantCulture);
            char? state = await ProcState.WaitForStateAsync(root, s => s == 'Z', TimeSpan.FromSeconds(30));
            Assert.True(state == 'Z', $"pid {root} did not become a zombie (state {state})");

            using ProcessHandle? handle = call.StartsWith("ProcessHandle", StringComparison.Ordinal) ? ProcessHandle.Open(root) : null;
            ProcessLookupException e = await Assert.ThrowsAsync<ProcessLookupException>(() => call switch
            {
                "ProcessTree.KillAsync" => ProcessTree.KillAsync(root, Ct),
                "ProcessTree.StopAsync" => ProcessTree.StopAsync(root, cancellationToken: Ct),
                "ProcessHandle.KillTreeAsync" => handle!.KillTreeAsync(Ct),
                _ => handle!.StopTreeAsync(cancellationToken: Ct),
            });

            AssertSaysWhatBecameOfTheDescendants(e);
            Assert.Contains($"pid {root} has exited (a zombie that its parent, pid {parent.Id}, has not reaped yet)", e.Message, StringComparison.Ordinal);
            Assert.Single(e.Message.Split("descendants may still be running").Skip(1));
            Assert.Equal((root, 3), (e.Pid, e.Errno));

            // Nothing was sent: the sleep lives on, neither stopped nor signalled, and so does the parent.
            Assert.Contains(sleep, Trees.Alive(marker).Select(s => s.Pid));
            ProcState.AssertUntouched(sleep);
            Assert.Equal('Z', ProcState.State(root));
        }
        finally
        {
            await Trees.CleanupAsync(marker);
        }
    }

    /// <summary>
    /// Waits until the pid is gone from /proc: the root has been reaped, which is what these tests
    /// are about. Nothing in WaitForExitAsync's contract says the reap has happened when it returns
    /// (one CI run of the .NET 11 lane saw the tree call return without an error, which is what a
    /// root that was still a zombie gave then; a zombie root now throws too, and has a test of its own).
    /// </summary>
    private static async Task AssertReapedAsync(int pid)
    {
        char? state = await ProcState.WaitForStateAsync(pid, s => s is null, TimeSpan.FromSeconds(30));
        Assert.True(state is null, $"pid {pid} was not reaped within 30 s after WaitForExitAsync (state {state})");
    }

    private static void AssertSaysWhatBecameOfTheDescendants(ProcessLookupException e)
    {
        Assert.Contains("descendants may still be running", e.Message, StringComparison.Ordinal);
        Assert.Contains("in one call", e.Message, StringComparison.Ordinal);
        Assert.Contains("ProcessContainer", e.Message, StringComparison.Ordinal);
        Assert.IsType<ProcessLookupException>(e, exactMatch: true);
    }
}
