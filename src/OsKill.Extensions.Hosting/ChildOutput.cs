using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OsKill.Extensions.Hosting;

/// <summary>Logs a child's standard output and error, line by line, under the child's own category.</summary>
internal sealed class ChildOutput(ILogger logger, LogLevel errorLevel)
{
    private static readonly Action<ILogger, string, Exception?> s_outputLine =
        LoggerMessage.Define<string>(LogLevel.Information, new EventId(100, "StandardOutput"), "{Line}");

    private readonly Action<ILogger, string, Exception?> _errorLine =
        LoggerMessage.Define<string>(errorLevel, new EventId(101, "StandardError"), "{Line}");

    /// <summary>
    /// Starts reading the process's redirected streams, each on a thread of its own. Not
    /// <see cref="Process.BeginOutputReadLine"/>: on Windows the streams are synchronous pipes, and
    /// each of its reads blocks a thread-pool thread for the child's whole life, so that a few
    /// children starve the pool and the host's own work (its stop among it) waits seconds for
    /// new threads.
    /// </summary>
    public void Attach(Process process)
    {
        Read(process.StandardOutput, line => s_outputLine(logger, line, null), process.Id, "stdout");
        Read(process.StandardError, line => _errorLine(logger, line, null), process.Id, "stderr");
    }

    private static void Read(StreamReader stream, Action<string> log, int pid, string what)
    {
        var thread = new Thread(() =>
        {
            try
            {
                while (stream.ReadLine() is string line)
                {
                    log(line);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The run's Process was disposed: its output ends here.
            }
        })
        {
            IsBackground = true,
            Name = $"OsKill child {pid} {what}",
        };
        thread.Start();
    }
}
