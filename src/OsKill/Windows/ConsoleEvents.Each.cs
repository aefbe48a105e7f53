using System.Diagnostics;
using System.Globalization;

namespace OsKill.Windows;

/// <summary>A console event to the consoles of many processes at once, through one helper process.</summary>
internal static partial class ConsoleEvents
{
    /// <summary>
    /// Sends <paramref name="consoleEvent"/> to the console of each of <paramref name="pids"/> (none of
    /// them on our console), each console once, through one helper that joins them in turn (see
    /// <see cref="ConsoleHelper"/>): a pid that an event already sent reached is not sent to again.
    /// Returns the helper's line for each pid; a pid without one (the helper failed first) is not in it.
    /// </summary>
    /// <exception cref="OsException">The helper could not start, or did not finish within <paramref name="timeout"/> (it is then ended), or failed before it wrote a line for every pid.</exception>
    internal static Dictionary<int, HelperLine> SendToEach(IReadOnlyList<int> pids, ConsoleEvent consoleEvent, TimeSpan timeout)
    {
        if (Audit.HasHooks)
        {
            foreach (int pid in pids)
            {
                Audit.Raise("oskill.console_control", pid, (int)consoleEvent);
            }
        }

        return RunHelper(pids, consoleEvent, timeout);
    }

    /// <summary><see cref="SendToEach"/> without the audit events (the caller has raised them).</summary>
    private static Dictionary<int, HelperLine> RunHelper(IReadOnlyList<int> pids, ConsoleEvent consoleEvent, TimeSpan timeout)
    {
        string target = pids.Count == 1 ? $"pid {pids[0]}" : $"pids {string.Join(", ", pids.Take(20))}";
        int? onlyPid = pids.Count == 1 ? pids[0] : null;
        string request = string.Create(CultureInfo.InvariantCulture, $"{string.Join(',', pids)}:{(int)consoleEvent}");
        using Process helper = Process.Start(HelperStartInfo(request, target, consoleEvent))
            ?? throw new OsException($"Cannot send {Describe(consoleEvent)} to {target}: the console helper did not start.");
        Task<string> errors = helper.StandardError.ReadToEndAsync();
        Task<string> output = helper.StandardOutput.ReadToEndAsync();
        if (!WaitForHelper(helper, timeout))
        {
            helper.Kill();
            throw new OsException($"Cannot send {Describe(consoleEvent)} to {target}: the console helper (pid {helper.Id}) did not finish within {timeout.TotalSeconds:0.#} s and was ended.")
            {
                Operation = "console helper",
                Pid = onlyPid,
                Signal = (int)consoleEvent,
            };
        }

        Dictionary<int, HelperLine> lines = HelperLines(output);
        foreach (HelperLine line in lines.Values)
        {
            OsKillEventSource.Log.WindowsKill(line.Pid, (int)consoleEvent, line.Error);
        }

        // With one pid, the helper's exit code is that pid's error too: its line says it all.
        if (pids.Any(pid => !lines.ContainsKey(pid)))
        {
            string detail = errors.Wait(TimeSpan.FromSeconds(1)) ? errors.Result.Trim() : string.Empty;
            throw new OsException($"Cannot send {Describe(consoleEvent)} to {target}: the console helper (pid {helper.Id}) exited with {helper.ExitCode} before it had a line for each{(detail.Length == 0 ? string.Empty : ": " + detail)}.")
            {
                Operation = "console helper",
                Pid = onlyPid,
                Signal = (int)consoleEvent,
            };
        }

        return lines;
    }

    /// <summary>What the helper did for one pid: the pids attached to the console it sent to, or (with <see cref="Same"/>) none, as an event it sent before reached it; or the error of the step that failed.</summary>
    internal sealed record HelperLine(int Pid, int[] Attached, bool Same, int Error, string Failure);

    /// <summary>The helper's stdout: "PID sent A B C", "PID same" or "PID error N MESSAGE", one line a pid.</summary>
    private static Dictionary<int, HelperLine> HelperLines(Task<string> output)
    {
        string text = output.Wait(TimeSpan.FromSeconds(1)) ? output.Result : string.Empty;
        var lines = new Dictionary<int, HelperLine>();
        foreach (string raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] words = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || !int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            HelperLine? line = words[1] switch
            {
                "sent" => new HelperLine(pid, [.. words.Skip(2).Select(w => int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0).Where(n => n > 0)], false, 0, string.Empty),
                "same" => new HelperLine(pid, [], true, 0, string.Empty),
                "error" when words.Length > 2 && int.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out int error) =>
                    new HelperLine(pid, [], false, error, string.Join(' ', words.Skip(3))),
                _ => null,
            };
            if (line is not null)
            {
                lines[pid] = line;
            }
        }

        return lines;
    }
}
