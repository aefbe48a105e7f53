using System.Runtime.InteropServices;

namespace OsKill.Interop;

internal static partial class Libc
{
    // Linux system call numbers. Since Linux 5.1 new system calls share one number on every
    // architecture that .NET runs on (x64, x86, arm, arm64, s390x, ppc64le, riscv64, loongarch64).
    internal const int SYS_pidfd_send_signal = 424;
    internal const int SYS_pidfd_open = 434;

    // Called through syscall(2) rather than glibc's wrappers, which only exist since glibc 2.36
    // and not at all in musl. syscall is variadic; every argument here is an integer or pointer,
    // which the x64 and arm64 Linux calling conventions pass exactly like fixed arguments.

    /// <summary>pidfd_open(2): a file descriptor that refers to process <paramref name="pid"/>.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint SyscallPidfdOpen(nint number, int pid, uint flags);

    /// <summary>pidfd_send_signal(2), with no siginfo (the kernel fills in SI_USER like kill).</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint SyscallPidfdSendSignal(nint number, int pidfd, int sig, nint info, uint flags);

    internal static int PidfdOpen(int pid, uint flags) => (int)SyscallPidfdOpen(SYS_pidfd_open, pid, flags);

    internal static int PidfdSendSignal(int pidfd, int sig, uint flags) =>
        (int)SyscallPidfdSendSignal(SYS_pidfd_send_signal, pidfd, sig, 0, flags);
}
