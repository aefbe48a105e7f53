using System.Runtime.InteropServices;

namespace OsKill.Core;

/// <summary>
/// Holds a reference on a <see cref="SafeHandle"/> for the length of a native call, so that a
/// concurrent Dispose cannot close the descriptor or handle (and let its number be reused) under
/// the call: the close is deferred until the lease ends. One shape for what was a try/finally of
/// DangerousAddRef and DangerousRelease at every call site.
/// </summary>
/// <remarks>Acquire throws <see cref="ObjectDisposedException"/> when the handle is already closed.</remarks>
internal readonly struct SafeHandleLease : IDisposable
{
    private readonly SafeHandle? _handle;

    private SafeHandleLease(SafeHandle handle, nint value)
    {
        _handle = handle;
        Value = value;
    }

    /// <summary>The raw handle or descriptor, valid until the lease ends.</summary>
    internal nint Value { get; }

    /// <summary>The raw value as a file descriptor.</summary>
    internal int FileDescriptor => (int)Value;

    /// <summary>Takes a reference on <paramref name="handle"/>.</summary>
    /// <exception cref="ObjectDisposedException">The handle has been closed.</exception>
    internal static SafeHandleLease Acquire(SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        return new SafeHandleLease(handle, handle.DangerousGetHandle());
    }

    /// <summary>Releases the reference: a close that came meanwhile happens now.</summary>
    public void Dispose() => _handle?.DangerousRelease();
}
