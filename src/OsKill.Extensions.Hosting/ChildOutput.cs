using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OsKill.Extensions.Hosting;

/// <summary>
/// What becomes of a child's standard output and error: logged line by line under the child's own
/// category (<see cref="ChildProcessOptions.LogOutput"/>), or, where the child has a console of its
/// own (<see cref="ChildStartInfo.OwnConsole"/>), copied as they are to the host's own streams.
/// </summary>
internal sealed class ChildOutput
{
    private static readonly Action<ILogger, string, Exception?> s_outputLine =
        LoggerMessage.Define<string>(LogLevel.Information, new EventId(100, "StandardOutput"), "{Line}");

    private readonly ILogger? _logger;
    private readonly Action<ILogger, string, Exception?>? _errorLine;

    private ChildOutput(ILogger? logger, LogLevel errorLevel)
    {
        _logger = logger;
        _errorLine = logger is null ? null : LoggerMessage.Define<string>(errorLevel, new EventId(101, "StandardError"), "{Line}");
    }

    /// <summary>The output of the child called <paramref name="name"/>; null when it writes to the host's streams itself.</summary>
    public static ChildOutput? For(string name, ChildProcessOptions options, ILoggerFactory loggers) =>
        options.LogOutput ? new ChildOutput(loggers.CreateLogger("OsKill.Child." + name), options.StandardErrorLogLevel)
        : ChildStartInfo.OwnConsole ? new ChildOutput(null, LogLevel.None)
        : null;

    /// <summary>
    /// Starts reading the process's redirected streams, each on a thread of its own. Not
    /// <see cref="Process.BeginOutputReadLine"/>: on Windows the streams are synchronous pipes, and
    /// each of its reads blocks a thread-pool thread for the child's whole life, so that a few
    /// children starve the pool and the host's own work (its stop among it) waits seconds for
    /// new threads.
    /// </summary>
    public void Attach(Process process)
    {
        if (_logger is ILogger logger)
        {
            Read(process.StandardOutput, line => s_outputLine(logger, line, null), process.Id, "stdout");
            Read(process.StandardError, line => _errorLine!(logger, line, null), process.Id, "stderr");
            return;
        }

        Copy(process.StandardOutput.BaseStream, Console.OpenStandardOutput(), process.Id, "stdout");
        Copy(process.StandardError.BaseStream, Console.OpenStandardError(), process.Id, "stderr");
    }

    private static void Read(StreamReader stream, Action<string> log, int pid, string what) => OnThread(
        () =>
        {
            while (stream.ReadLine() is string line)
            {
                log(line);
            }
        },
        pid,
        what);

    private static void Copy(Stream from, Stream to, int pid, string what) => OnThread(() => from.CopyTo(to), pid, what);

    private static void OnThread(Action pump, int pid, string what)
    {
        var thread = new Thread(() =>
        {
            try
            {
                pump();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The run's Process was disposed, or the host's stream closed: the output ends here.
            }
        })
        {
            IsBackground = true,
            Name = $"OsKill child {pid} {what}",
        };
        thread.Start();
    }
}
