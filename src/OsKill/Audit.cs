namespace OsKill;

/// <summary>
/// Audit hooks with Python's <c>sys.audit</c> semantics. OsKill raises <c>os.kill</c>,
/// <c>os.killpg</c> and <c>signal.pthread_kill</c> before it sends anything, so a hook can log
/// every signal the process sends, or veto one by throwing.
/// </summary>
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
    public static void Raise(string eventName, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(args);
        foreach (Action<string, object?[]> hook in s_hooks)
        {
            hook(eventName, args);
        }
    }
}
