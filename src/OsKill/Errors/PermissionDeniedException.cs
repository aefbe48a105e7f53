namespace OsKill;

/// <summary>
/// The caller may not signal the target (EPERM or EACCES; on Windows, access denied):
/// Python's <c>PermissionError</c>.
/// </summary>
public class PermissionDeniedException : OsException
{
    /// <summary>Creates an exception with a default message.</summary>
    public PermissionDeniedException()
        : base("Permission denied.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">The message.</param>
    public PermissionDeniedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PermissionDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an errno, with a message that you give.</summary>
    /// <param name="errno">The errno value.</param>
    /// <param name="message">The message.</param>
    public PermissionDeniedException(int errno, string message)
        : base(errno, message)
    {
    }
}
