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

    /// <summary>Starts reading the process's redirected streams.</summary>
    public void Attach(Process process)
    {
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is string line)
            {
                s_outputLine(logger, line, null);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is string line)
            {
                _errorLine(logger, line, null);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }
}
