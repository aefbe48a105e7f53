using System.Diagnostics;

namespace OsKill.WindowsTests;

/// <summary>A case failed: the message says what was expected and what happened.</summary>
internal sealed class TestFailure(string message) : Exception(message);

/// <summary>A case cannot run here (a Wine gap): the message says why.</summary>
internal sealed class TestSkipped(string reason) : Exception(reason);

/// <summary>
/// Runs cases one at a time, each on its own thread with a time limit, so that a hang fails the
/// case instead of hanging CI. Prints "PASS name", "FAIL name: reason" or "SKIP name: reason".
/// </summary>
internal sealed class Harness(TimeSpan perCase, TimeSpan budget, string[]? only = null)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    internal int Passed { get; private set; }

    internal int Failed { get; private set; }

    internal int Skipped { get; private set; }

    /// <summary>True once a case has hung: its thread is still running, so the rest may be affected.</summary>
    internal bool Tainted { get; private set; }

    internal void Run(string name, Action body, TimeSpan? limit = null)
    {
        if (only is not null && !only.Contains(name))
        {
            return;
        }

        TimeSpan timeout = limit ?? perCase;
        if (_clock.Elapsed + timeout > budget)
        {
            Report(name, "FAIL", $"not run: the time budget of {budget.TotalSeconds:0} s is spent ({_clock.Elapsed.TotalSeconds:0} s used)");
            return;
        }

        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        {
            IsBackground = true,
            Name = name,
        };

        var sw = Stopwatch.StartNew();
        thread.Start();
        bool finished = thread.Join(timeout);
        Child.KillAll();

        // Run the finalizers now, so that a crash in one (see the project file) shows right after
        // the case that caused it, not at some random later point.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (!finished)
        {
            Tainted = true;
            Report(name, "FAIL", $"timed out after {timeout.TotalSeconds:0} s (hung)");
            return;
        }

        string took = $" [{sw.Elapsed.TotalSeconds:0.0} s]";
        switch (error)
        {
            case null:
                Report(name, "PASS", null, took);
                break;
            case TestSkipped skip:
                Report(name, "SKIP", skip.Message, took);
                break;
            case TestFailure failure:
                Report(name, "FAIL", failure.Message, took);
                break;
            default:
                Report(name, "FAIL", $"unexpected {error.GetType().FullName}: {error.Message}", took);
                break;
        }
    }

    internal string Summary =>
        Skipped == 0 ? $"{Passed} passed, {Failed} failed" : $"{Passed} passed, {Failed} failed, {Skipped} skipped";

    private void Report(string name, string status, string? reason, string took = "")
    {
        switch (status)
        {
            case "PASS":
                Passed++;
                break;
            case "SKIP":
                Skipped++;
                break;
            default:
                Failed++;
                break;
        }

        Console.WriteLine(reason is null ? $"{status} {name}{took}" : $"{status} {name}: {reason}{took}");
    }
}

/// <summary>Small assertions that say what they expected.</summary>
internal static class Check
{
    internal static void True(bool condition, string what)
    {
        if (!condition)
        {
            throw new TestFailure(what);
        }
    }

    internal static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            throw new TestFailure($"{what}: expected {expected?.ToString() ?? "null"}, got {actual?.ToString() ?? "null"}");
        }
    }

    /// <summary>Runs <paramref name="action"/> and returns the exception of type T that it throws.</summary>
    internal static T Throws<T>(Action action, string what)
        where T : Exception
    {
        try
        {
            action();
        }
        catch (T e)
        {
            return e;
        }
        catch (Exception e)
        {
            throw new TestFailure($"{what}: expected {typeof(T).Name}, got {e.GetType().Name}: {e.Message}");
        }

        throw new TestFailure($"{what}: expected {typeof(T).Name}, nothing was thrown");
    }
}
