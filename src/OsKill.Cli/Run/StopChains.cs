namespace OsKill.Cli.Run;

/// <summary>
/// The stop chains of <c>oskill run</c>, built from the options on every OS: each step is made by
/// the caller's <c>step</c> function (Linux: a signal; Windows: a console event or the job's end).
/// </summary>
internal static class StopChains
{
    /// <summary>
    /// --timeout T1 S1 --timeout T2 S2 ...: S1 at T1 (waited for already), S2 T2 after it, and so
    /// on; the last signal gets the grace period (5 s for KILL), and a chain that does not end with
    /// KILL (<paramref name="kill"/>) ends with it, so that the container is empty when oskill returns.
    /// </summary>
    internal static StopOptions Timeout(RunOptions options, int kill, Func<int, TimeSpan, StopStep> step)
    {
        IReadOnlyList<ChainStep> chain = options.Timeout;
        var steps = new List<StopStep>();
        for (int i = 0; i < chain.Count; i++)
        {
            TimeSpan wait = i + 1 < chain.Count ? chain[i + 1].Delay
                : chain[i].Signal == kill ? StopOptions.DefaultGracePeriod
                : options.Grace;
            steps.Add(step(chain[i].Signal, wait));
        }

        if (chain[^1].Signal != kill)
        {
            steps.Add(step(kill, StopOptions.DefaultGracePeriod));
        }

        return new StopOptions(steps);
    }

    /// <summary>What CMD left: the polite signal (-s, TERM), the grace period, then KILL (<paramref name="kill"/>).</summary>
    internal static StopOptions Leftover(RunOptions options, int kill, Func<int, TimeSpan, StopStep> step) => options.PoliteSignal == kill
        ? new StopOptions([step(kill, StopOptions.DefaultGracePeriod)])
        : new StopOptions([step(options.PoliteSignal, options.Grace), step(kill, StopOptions.DefaultGracePeriod)]);

    /// <summary>Waits for <paramref name="task"/> up to <paramref name="timeout"/>, which may exceed Task.Wait's int.MaxValue ms (durations go up to days).</summary>
    internal static bool WaitFor(Task task, TimeSpan timeout)
    {
        var chunk = TimeSpan.FromMilliseconds(int.MaxValue);
        while (timeout > chunk)
        {
            if (task.Wait(chunk))
            {
                return true;
            }

            timeout -= chunk;
        }

        return task.Wait(timeout);
    }

    /// <summary>For -v: the steps of a stop, before it starts.</summary>
    internal static void LogSteps(StopOptions options, ContainerKillMode mode, Action<string>? log)
    {
        for (int i = 0; i < options.Steps.Count; i++)
        {
            log?.Invoke($"stop step {i} ({(mode == ContainerKillMode.Mixed ? "mixed" : "control-group")}): {options.Steps[i]}");
        }
    }

    /// <summary>For -v: how a stop ended, and the step that ended each member.</summary>
    internal static void LogResult(ContainerStopResult result, Action<string>? log)
    {
        log?.Invoke($"stop: {result}");
        foreach (ContainerMemberResult member in result.Members)
        {
            log?.Invoke($"  {member}");
        }
    }
}
