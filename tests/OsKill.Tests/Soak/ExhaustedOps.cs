using System.Globalization;

namespace OsKill.Tests.Soak;

/// <summary>
/// The soak's operations out of descriptors: run in the test child (<see cref="ExhaustionServer"/>)
/// with 0 to 3 descriptors free, on a tree of the test host's. Out of descriptors a call may fail,
/// but only with the documented <see cref="OsException"/> (EMFILE or ENFILE) naming the pid, and
/// what it promises when it succeeds still holds: a tree it says it killed has no survivor.
/// </summary>
internal static class ExhaustedOps
{
    private static readonly Dictionary<string, Api> s_apis = new()
    {
        ["open"] = Api.Open,
        ["wait"] = Api.Wait,
        ["stop"] = Api.Stop,
        ["kill-tree-handle"] = Api.KillTree,
        ["kill-tree-pid"] = Api.TreeKillPid,
        ["kill-tree-pidfd"] = Api.TreeKillPidfd,
        ["stop-tree-handle"] = Api.StopTree,
        ["stop-tree-pid"] = Api.TreeStopPid,
        ["container-new"] = Api.ContainerNew,
        ["container-start"] = Api.ContainerStart,
    };

    /// <summary>One operation in the server.</summary>
    internal static async Task RunAsync(Operation op, ExhaustionServer server)
    {
        string operation = op.Pick([.. s_apis.Keys]);
        int free = op.Random.Next(0, 4);
        Api api = s_apis[operation];
        bool tree = operation.Contains("tree", StringComparison.Ordinal);
        await using Target target = tree ? await TreeOps.RandomTargetAsync(op) : await Target.TrapperAsync();
        op.Say($"{operation} with {free} descriptor(s) free on {target}");

        string outcome = await server.RunAsync(operation, free, target.Pid);
        op.Say(outcome);
        if (outcome.StartsWith("died ", StringComparison.Ordinal))
        {
            if (ExhaustionServer.DiedOfThePool(outcome))
            {
                op.Say("(the .NET thread pool could not start a thread during the shortage and ended the child: the runtime's limit, not the library's)");
            }
            else
            {
                op.Violation($"the test child died running {operation} with {free} descriptor(s) free: {outcome}");
            }
        }
        else if (outcome == "hang")
        {
            op.Violation($"{operation} did not end within {Operation.HangLimit.TotalSeconds} s with {free} descriptor(s) free");
        }
        else if (outcome.StartsWith("threw ", StringComparison.Ordinal))
        {
            JudgeThrown(op, api, operation, outcome["threw ".Length..], target.Pid);
        }
        else if (tree && (operation.StartsWith("kill", StringComparison.Ordinal) || outcome.Contains("exited=True", StringComparison.Ordinal)))
        {
            List<Trees.Seen> survivors = target.Alive();
            if (survivors.Count > 0)
            {
                op.Known("1", $"{operation} with {free} descriptor(s) free succeeded ({outcome}), but {survivors.Count} member(s) are alive: {string.Join(", ", survivors.Select(s => $"{s.Pid} ({s.State})"))}");
            }
        }

        await op.CheckNothingLeftStoppedAsync(target, $"after {operation} with {free} descriptor(s) free");
    }

    /// <summary>
    /// The first wait of a process whose exit watcher does not exist yet, with 0 to 3 descriptors
    /// free (the test child's watch-emfile mode): it works, or fails with EMFILE naming the pid
    /// (issue 17 item 4 was an OutOfMemoryException).
    /// </summary>
    internal static async Task FirstWaitAsync(Operation op)
    {
        int free = op.Random.Next(0, 4);
        op.Say($"first WaitForExitAsync of a process with {free} descriptor(s) free");
        ChildReport r = await ChildReport.RunAsync("watch-emfile", free.ToString(CultureInfo.InvariantCulture));
        string first = r["first"];
        op.Say(first);
        if (!first.StartsWith("no failure", StringComparison.Ordinal) &&
            !(first.StartsWith("OsException errno=24 ", StringComparison.Ordinal) && first.Contains($"(pid {r["target"]})", StringComparison.Ordinal)))
        {
            op.Violation($"the first wait with {free} descriptor(s) free ended with {first}, not success or an OsException (EMFILE) naming pid {r["target"]}");
        }

        if (r["second"] != "ok")
        {
            op.Violation($"the wait after the shortage ended with {r["second"]}");
        }
    }

    private static void JudgeThrown(Operation op, Api api, string operation, string thrown, int pid)
    {
        // "TYPE errno=N MESSAGE"
        string[] parts = thrown.Split(' ', 3);
        string type = parts[0];
        int? errno = int.TryParse(parts[1]["errno=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
        string message = parts.Length > 2 ? parts[2] : string.Empty;
        Type? thrownType = Type.GetType(type) ?? typeof(OsException).Assembly.GetType(type) ?? typeof(System.ComponentModel.Win32Exception).Assembly.GetType(type);

        if (type == typeof(ArgumentException).FullName && api is Api.StopTree or Api.TreeStopPid or Api.KillTree or Api.TreeKillPid or Api.TreeKillPidfd)
        {
            op.Known("2", $"{operation} out of descriptors threw ArgumentException: {message}");
            return;
        }

        if (thrownType is null || !Documented.Of(api).Any(t => t.IsAssignableFrom(thrownType)))
        {
            op.Violation($"{operation} out of descriptors threw {type}, which it does not document: {message}");
            return;
        }

        if (typeof(OsException).IsAssignableFrom(thrownType))
        {
            if (errno is not (23 or 24))
            {
                op.Violation($"{operation} out of descriptors threw {type} with errno {errno}, not EMFILE or ENFILE: {message}");
            }
            else if (!api.ToString().StartsWith("Container", StringComparison.Ordinal) && !message.Contains(pid.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            {
                string what = $"{operation} out of descriptors threw {type} (errno {errno}) whose message does not name pid {pid}: {message}";
                if (operation.Contains("tree", StringComparison.Ordinal))
                {
                    op.Known("pid", what);
                }
                else
                {
                    op.Violation(what);
                }
            }
        }
        else if (thrownType == typeof(System.ComponentModel.Win32Exception) && api == Api.ContainerStart && errno is 23 or 24)
        {
            // Process.Start out of descriptors for its pipes, as documented.
        }
        else if (thrownType != typeof(TimeoutException))
        {
            op.Violation($"{operation} out of descriptors threw {type}: documented, but not for a descriptor shortage: {message}");
        }
    }
}
