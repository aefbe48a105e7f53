namespace OsKill.Tests;

/// <summary>
/// Audit hooks with sys.audit semantics. Hooks are process-wide, permanent, and see the calls of
/// every test running in parallel, so each hook here acts only while <see cref="s_scope"/> holds
/// the scope object of the test that added it: other tests' calls pass through untouched.
/// </summary>
public class AuditTests
{
    // No Linux pid or process group can exceed PID_MAX_LIMIT (4194304), so these never exist.
    private const int NoSuchPid = 0x7AA0_0001;
    private const int NoSuchGroup = 0x7AA0_0002;

    private static readonly AsyncLocal<object?> s_scope = new();

    [Fact]
    public async Task Hooks_run_in_the_order_added_and_see_os_kill_with_pid_and_signal_as_boxed_ints()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        object scope = new object();
        var log = new List<(string Hook, string Event, object?[] Args)>();
        Assert.True(Audit.AddHook(Recording(scope, "first", log)));
        Assert.True(Audit.AddHook(Recording(scope, "second", log)));
        Assert.True(Audit.HasHooks);

        InScope(scope, () => Os.Kill(child.Pid, Signal.SIGUSR1));

        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
        Assert.Collection(
            log,
            e => AssertEvent(e, "first", "os.kill", child.Pid, Signal.SIGUSR1),
            e => AssertEvent(e, "second", "os.kill", child.Pid, Signal.SIGUSR1));
        Assert.IsType<int>(log[0].Args[0]);
        Assert.IsType<int>(log[0].Args[1]);
    }

    [Fact]
    public void KillPg_and_PthreadKill_raise_their_events_with_their_arguments()
    {
        object scope = new object();
        var log = new List<(string Hook, string Event, object?[] Args)>();
        Assert.True(Audit.AddHook(Recording(scope, "hook", log)));
        nuint self = Signal.CurrentThreadId;

        InScope(scope, () =>
        {
            // The group does not exist, so nothing is sent; the event comes first all the same.
            Assert.Equal(3, Assert.Throws<ProcessLookupException>(() => Os.KillPg(NoSuchGroup, 0)).Errno);
            Signal.PthreadKill(self, 0);
        });

        Assert.Collection(
            log,
            e => AssertEvent(e, "hook", "os.killpg", NoSuchGroup, 0),
            e =>
            {
                Assert.Equal("signal.pthread_kill", e.Event);
                Assert.Equal(2, e.Args.Length);
                Assert.Equal(self, Assert.IsType<nuint>(e.Args[0]));
                Assert.Equal(0, Assert.IsType<int>(e.Args[1]));
            });
    }

    [Fact]
    public async Task A_vetoing_hook_stops_the_call_and_the_hooks_after_it()
    {
        using Child child = await Child.StartAsync("catch", "USR1");
        object scope = new object();
        var veto = new VetoException($"no SIGKILL for pid {child.Pid}");
        var before = new List<(string Hook, string Event, object?[] Args)>();
        var after = new List<(string Hook, string Event, object?[] Args)>();
        Assert.True(Audit.AddHook(Recording(scope, "before", before)));
        Assert.True(Audit.AddHook((name, args) =>
        {
            if (ReferenceEquals(s_scope.Value, scope) && name == "os.kill" &&
                args is [int pid, int sig] && pid == child.Pid && sig == Signal.SIGKILL)
            {
                throw veto;
            }
        }));
        Assert.True(Audit.AddHook(Recording(scope, "after", after)));

        VetoException? thrown = null;
        InScope(scope, () => thrown = Assert.Throws<VetoException>(() => Os.Kill(child.Pid, Signal.SIGKILL)));

        Assert.Same(veto, thrown);
        Assert.Collection(before, e => AssertEvent(e, "before", "os.kill", child.Pid, Signal.SIGKILL));
        Assert.Empty(after);

        // The veto is lifted outside the scope. The child was not killed: it still handles a
        // signal, which a process with SIGKILL on its way could never do.
        Assert.NotEqual('Z', ProcState.State(child.Pid));
        Os.Kill(child.Pid, Signal.SIGUSR1);
        await child.WaitForLineAsync($"got {Signal.SIGUSR1}");
        Assert.Equal(Signal.SIGUSR1, await child.FinishAsync());
    }

    [Fact]
    public async Task A_hook_that_re_enters_Os_Kill_without_end_fails_cleanly_and_sends_nothing()
    {
        using Child child = await Child.StartAsync("catch", "USR1", "USR2");
        object scope = new object();
        int calls = 0;
        Assert.True(Audit.AddHook((name, args) =>
        {
            if (ReferenceEquals(s_scope.Value, scope) && name == "os.kill" && args is [int pid, int sig] && pid == child.Pid && sig == Signal.SIGUSR1)
            {
                // A careless hook: it "double-checks" by sending the same signal, which raises
                // os.kill again, which calls this hook again... Without a bound, a stack overflow
                // would end the test host.
                Interlocked.Increment(ref calls);
                Os.Kill(pid, sig);
            }
        }));

        InvalidOperationException? e = null;
        InScope(scope, () => e = Assert.Throws<InvalidOperationException>(() => Os.Kill(child.Pid, Signal.SIGUSR1)));

        Assert.Contains($"{Audit.MaxNesting} levels deep", e!.Message, StringComparison.Ordinal);
        Assert.Equal(Audit.MaxNesting, calls);

        // No level sent SIGUSR1: each raised its event first, and the deepest refused. The first
        // signal the child reports is the SIGUSR2 sent now, outside the scope.
        Os.Kill(child.Pid, Signal.SIGUSR2);
        Assert.Equal($"got {Signal.SIGUSR2}", await child.WaitForLineAsync(l => l.StartsWith("got ", StringComparison.Ordinal)));

        // Nesting within the bound still works: a hook may send a probe of its own.
        Assert.True(Audit.AddHook((name, args) =>
        {
            if (ReferenceEquals(s_scope.Value, scope) && name == "os.kill" && args is [int pid, int sig] && pid == child.Pid && sig == Signal.SIGUSR2)
            {
                Os.Kill(pid, 0);
            }
        }));
        InScope(scope, () => Os.Kill(child.Pid, Signal.SIGUSR2));
        await child.WaitForLineAsync($"got {Signal.SIGUSR2}");
    }

    [Fact]
    public void The_event_is_raised_even_when_the_call_fails()
    {
        object scope = new object();
        var log = new List<(string Hook, string Event, object?[] Args)>();
        Assert.True(Audit.AddHook(Recording(scope, "hook", log)));

        ProcessLookupException? e = null;
        InScope(scope, () => e = Assert.Throws<ProcessLookupException>(() => Os.Kill(NoSuchPid, 0)));

        Assert.Equal(3, e!.Errno);
        Assert.Collection(log, x => AssertEvent(x, "hook", "os.kill", NoSuchPid, 0));
    }

    [Fact]
    public void Adding_a_hook_raises_sys_addaudithook_without_arguments_to_the_hooks_already_present()
    {
        object scope = new object();
        var existing = new List<(string Hook, string Event, object?[] Args)>();
        var added = new List<(string Hook, string Event, object?[] Args)>();
        Assert.True(Audit.AddHook(Recording(scope, "existing", existing)));

        bool result = false;
        InScope(scope, () => result = Audit.AddHook(Recording(scope, "added", added)));

        Assert.True(result);
        (string _, string? name, object?[]? args) = Assert.Single(existing);
        Assert.Equal("sys.addaudithook", name);
        Assert.Empty(args);
        Assert.Empty(added);

        // The new hook is in place: it sees the next event.
        InScope(scope, () => Os.Kill(Environment.ProcessId, 0));
        Assert.Collection(added, x => AssertEvent(x, "added", "os.kill", Environment.ProcessId, 0));
    }

    [Fact]
    public void A_hook_that_throws_on_sys_addaudithook_keeps_the_new_hook_out()
    {
        object scope = new object();
        var seen = new List<string>();
        var refused = new List<(string Hook, string Event, object?[] Args)>();
        Assert.True(Audit.AddHook((name, args) =>
        {
            if (ReferenceEquals(s_scope.Value, scope))
            {
                seen.Add(name);
                if (name == "sys.addaudithook")
                {
                    throw new InvalidOperationException("this test allows no new hooks");
                }
            }
        }));

        bool result = true;
        InScope(scope, () =>
        {
            result = Audit.AddHook(Recording(scope, "refused", refused));

            // Events still flow to the hooks present; the refused hook would see this one too.
            Os.Kill(Environment.ProcessId, 0);
        });

        Assert.False(result);
        Assert.Equal(new[] { "sys.addaudithook", "os.kill" }, seen);
        Assert.Empty(refused);
    }

    [Fact]
    public void Os_Kill_with_a_handle_raises_os_kill_with_the_handle_and_the_signal()
    {
        using SafePidfdHandle self = Os.PidfdOpen(Environment.ProcessId);
        object scope = new object();
        var log = new List<(string Hook, string Event, object?[] Args)>();
        Assert.True(Audit.AddHook(Recording(scope, "hook", log)));

        InScope(scope, () => Os.Kill(self, 0));

        (string _, string? name, object?[]? args) = Assert.Single(log);
        Assert.Equal("os.kill", name);
        Assert.Equal(2, args.Length);
        Assert.Same(self, args[0]);
        Assert.Equal(0, Assert.IsType<int>(args[1]));
    }

    [Fact]
    public void PidfdSendSignal_and_RaiseSignal_raise_no_event()
    {
        using SafePidfdHandle self = Os.PidfdOpen(Environment.ProcessId);
        object scope = new object();
        var log = new List<(string Hook, string Event, object?[] Args)>();
        Assert.True(Audit.AddHook(Recording(scope, "hook", log)));

        InScope(scope, () =>
        {
            Signal.PidfdSendSignal(self, 0);
            Signal.RaiseSignal(0);

            // A control: the hook is live and in scope.
            Os.Kill(Environment.ProcessId, 0);
        });

        Assert.Collection(log, x => AssertEvent(x, "hook", "os.kill", Environment.ProcessId, 0));
    }

    [Fact]
    public async Task With_no_hook_registered_os_kill_allocates_nothing()
    {
        // This process has hooks from the tests above, so the child measures: 10000 calls of
        // Os.Kill(self, 0) with no hook registered.
        using Child child = await Child.StartAsync("alloc");
        Assert.Equal("allocated 0", await child.WaitForLineAsync(l => l.StartsWith("allocated ", StringComparison.Ordinal)));
        Assert.Equal(0, await child.WaitForExitAsync());
    }

    /// <summary>A hook that records every event raised while <paramref name="scope"/> is current.</summary>
    private static Action<string, object?[]> Recording(object scope, string hook, List<(string Hook, string Event, object?[] Args)> log) =>
        (name, args) =>
        {
            if (ReferenceEquals(s_scope.Value, scope))
            {
                lock (log)
                {
                    log.Add((hook, name, args));
                }
            }
        };

    /// <summary>Runs <paramref name="action"/> with <paramref name="scope"/> current, so this test's hooks act.</summary>
    private static void InScope(object scope, Action action)
    {
        s_scope.Value = scope;
        try
        {
            action();
        }
        finally
        {
            s_scope.Value = null;
        }
    }

    private static void AssertEvent((string Hook, string Event, object?[] Args) e, string hook, string name, int first, int second)
    {
        Assert.Equal(hook, e.Hook);
        Assert.Equal(name, e.Event);
        Assert.Equal(new object?[] { first, second }, e.Args);
    }

    private sealed class VetoException : Exception
    {
        public VetoException()
        {
        }

        public VetoException(string message)
            : base(message)
        {
        }

        public VetoException(string message, Exception innerException)
            : base(message, innerException)
        {
        }
    }
}
