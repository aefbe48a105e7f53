namespace OsKill;

/// <summary>
/// No such process (ESRCH; on Windows, a pid that names no process, or one that has already exited):
/// Python's <c>ProcessLookupError</c>.
/// </summary>
public class ProcessLookupException : OsException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ProcessLookupException()
        : base("No such process.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">The message.</param>
    public ProcessLookupException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ProcessLookupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an errno, with a message that you give.</summary>
    /// <param name="errno">The errno value.</param>
    /// <param name="message">The message.</param>
    public ProcessLookupException(int errno, string message)
        : base(errno, message)
    {
    }
}
