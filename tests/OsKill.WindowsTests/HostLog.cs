using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OsKill.WindowsTests;

/// <summary>A test host's log (TreeCases.Hosting.cs): "+MS ms LEVEL CATEGORY: MESSAGE" lines, kept in memory and, when a file is given, appended to it.</summary>
internal sealed class HostLog(string? file = null) : ILoggerProvider
{
    private readonly List<string> _lines = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    internal string[] Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The first line whose message starts with <paramref name="prefix"/>.</summary>
    internal string? Find(string prefix) => Lines.FirstOrDefault(l => l.Contains(": " + prefix, StringComparison.Ordinal));

    /// <summary>Adds a line of the case's own, such as the moment it asked the host to stop.</summary>
    internal void Mark(string what) => Add($"+{_clock.ElapsedMilliseconds} ms driver: {what}");

    internal bool Has(string text) => Lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public override string ToString() => string.Join(" | ", Lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
        }

        if (file is not null)
        {
            ChildModes.Write(file, line);
        }
    }

    private sealed class Logger(HostLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Add($"+{log._clock.ElapsedMilliseconds} ms {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}");
    }
}
