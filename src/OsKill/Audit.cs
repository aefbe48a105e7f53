namespace OsKill;

/// <summary>
/// Audit hooks with Python's <c>sys.audit</c> semantics. OsKill raises <c>os.kill</c>,
/// <c>os.killpg</c> and <c>signal.pthread_kill</c> before it sends anything, so a hook can log
/// every signal the process sends, or veto one by throwing.
/// </summary>
/// <remarks>
/// <para>Every signal OsKill sends raises an event first, not only those of <see cref="Os.Kill(int, int)"/>:
/// the tree operations (<see cref="ProcessTree"/>, <c>KillTreeAsync</c>, <c>StopTreeAsync</c>) raise
/// <c>os.kill</c> with <c>(pid, sig)</c> for each SIGSTOP, SIGCONT and SIGKILL they send to a member,
/// and <see cref="ProcessContainer.KillAsync"/> raises it with <c>(pid, SIGKILL)</c> for each member it
/// lists before it kills the container (on Windows <c>(pid, -1)</c>, the exit code of
/// TerminateJobObject). A hook that throws stops the operation before that signal: a tree freeze that
/// is vetoed continues the members it had stopped (those SIGCONTs raise events too), and a container
/// kill that is vetoed kills nobody.</para>
/// <para>A hook may itself call OsKill (to log, or to probe with signal 0), which raises events
/// again on the same thread. Nesting is allowed up to <see cref="MaxNesting"/> levels; deeper, <see cref="Raise"/>
/// throws <see cref="InvalidOperationException"/>, which vetoes the call that raised it, instead of
/// letting a hook that re-enters itself without end overflow the stack and end the process.</para>
/// </remarks>
/// <remarks>
/// <list type="bullet">
/// <item><description>Hooks are process-wide, run in the order they were added, and cannot be removed.</description></item>
/// <item><description>The first hook that throws stops the rest; the operation is not performed and the
/// hook's exception reaches the caller unchanged.</description></item>
/// <item><description>Adding a hook first raises <c>sys.addaudithook</c> (no arguments) to the hooks
/// already present; if one of them throws, the new hook is not added.</description></item>
/// <item><description>With no hook registered, raising an event costs no allocation.</description></item>
/// </list>
/// </remarks>
public static class Audit
{
    private static readonly object s_gate = new();
    private static volatile Action<string, object?[]>[] s_hooks = [];

    [ThreadStatic]
    private static int t_nesting;

    /// <summary>How many events may be raised inside one another on one thread (a hook that raises an event, whose hook raises one...) before <see cref="Raise"/> refuses: 8.</summary>
    public const int MaxNesting = 8;

    /// <summary>True once any hook has been added. Check it before building event arguments.</summary>
    public static bool HasHooks => s_hooks.Length != 0;

    /// <summary>
    /// Adds a hook: Python's <c>sys.addaudithook</c>. The hook receives the event name and its
    /// arguments, such as <c>("os.kill", [pid, sig])</c>.
    /// </summary>
    /// <param name="hook">The hook.</param>
    /// <returns>
    /// True when the hook was added; false when a hook already present vetoed it by throwing from
    /// the <c>sys.addaudithook</c> event (Python drops the new hook silently in that case).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    public static bool AddHook(Action<string, object?[]> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        lock (s_gate)
        {
            try
            {
                Raise("sys.addaudithook");
            }
#pragma warning disable CA1031 // The reference semantics: any exception from an existing hook means "do not add".
            catch (Exception)
#pragma warning restore CA1031
            {
                return false;
            }

            s_hooks = [.. s_hooks, hook];
            return true;
        }
    }

    /// <summary>
    /// Raises an audit event to every hook, in order: Python's <c>sys.audit</c>. Returns at once
    /// when there are no hooks.
    /// </summary>
    /// <param name="eventName">The event name, such as <c>os.kill</c>.</param>
    /// <param name="args">The event's arguments.</param>
    /// <exception cref="ArgumentNullException"><paramref name="eventName"/> or <paramref name="args"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Hooks have re-entered <see cref="Raise"/> more than <see cref="MaxNesting"/> levels deep on this thread.</exception>
    public static void Raise(string eventName, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(args);
        Action<string, object?[]>[] hooks = s_hooks;
        if (hooks.Length == 0)
        {
            return;
        }

        if (t_nesting >= MaxNesting)
        {
            throw new InvalidOperationException(
                $"The audit event {eventName} ({string.Join(", ", args)}) was raised {MaxNesting} levels deep inside audit hooks on this thread: " +
                "a hook that sends signals re-enters itself. Nothing was sent for this event; guard the hook against its own calls.");
        }

        t_nesting++;
        try
        {
            foreach (Action<string, object?[]> hook in hooks)
            {
                hook(eventName, args);
            }
        }
        finally
        {
            t_nesting--;
        }
    }

    /// <summary>Raises <c>os.kill</c> with <c>(pid, sig)</c> where hooks exist: the event of every signal the tree and container operations send to one process.</summary>
    internal static void RaiseKill(int pid, int sig)
    {
        if (HasHooks)
        {
            Raise("os.kill", pid, sig);
        }
    }
}
