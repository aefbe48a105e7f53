using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Kernel32
{
    /// <summary>CreateIoCompletionPort: with <see cref="INVALID_HANDLE_VALUE"/> and no existing port, a new port not tied to a file.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "CreateIoCompletionPort", SetLastError = true)]
    internal static partial nint CreateIoCompletionPort(nint fileHandle, nint existingPort, nuint completionKey, uint concurrentThreads);

    /// <summary>GetQueuedCompletionStatus: the next packet; for a job's port, the message is in <paramref name="bytes"/> and the pid in <paramref name="overlapped"/>.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "GetQueuedCompletionStatus", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool GetQueuedCompletionStatus(nint port, out uint bytes, out nuint completionKey, out nint overlapped, uint milliseconds);

    /// <summary>PostQueuedCompletionStatus: queues a packet of our own, to wake a waiter.</summary>
    [LibraryImport(Libraries.Kernel32, EntryPoint = "PostQueuedCompletionStatus", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool PostQueuedCompletionStatus(nint port, uint bytes, nuint completionKey, nint overlapped);
}
