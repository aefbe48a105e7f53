using OsKill.Core;
namespace OsKill;

// One property per signal name. Each reads the table of the OS the process runs on, so
// SIGUSR1 is 10 on Linux and 30 on macOS. A name that the OS does not define throws
// PlatformNotSupportedException rather than quietly giving another OS's number.
public static partial class Signal
{
    private static readonly int s_HUP = SignalTable.Current.Find("HUP");
    private static readonly int s_INT = SignalTable.Current.Find("INT");
    private static readonly int s_QUIT = SignalTable.Current.Find("QUIT");
    private static readonly int s_ILL = SignalTable.Current.Find("ILL");
    private static readonly int s_TRAP = SignalTable.Current.Find("TRAP");
    private static readonly int s_ABRT = SignalTable.Current.Find("ABRT");
    private static readonly int s_IOT = SignalTable.Current.Find("IOT");
    private static readonly int s_EMT = SignalTable.Current.Find("EMT");
    private static readonly int s_BUS = SignalTable.Current.Find("BUS");
    private static readonly int s_FPE = SignalTable.Current.Find("FPE");
    private static readonly int s_KILL = SignalTable.Current.Find("KILL");
    private static readonly int s_USR1 = SignalTable.Current.Find("USR1");
    private static readonly int s_SEGV = SignalTable.Current.Find("SEGV");
    private static readonly int s_USR2 = SignalTable.Current.Find("USR2");
    private static readonly int s_PIPE = SignalTable.Current.Find("PIPE");
    private static readonly int s_ALRM = SignalTable.Current.Find("ALRM");
    private static readonly int s_TERM = SignalTable.Current.Find("TERM");
    private static readonly int s_STKFLT = SignalTable.Current.Find("STKFLT");
    private static readonly int s_CHLD = SignalTable.Current.Find("CHLD");
    private static readonly int s_CLD = SignalTable.Current.Find("CLD");
    private static readonly int s_CONT = SignalTable.Current.Find("CONT");
    private static readonly int s_STOP = SignalTable.Current.Find("STOP");
    private static readonly int s_TSTP = SignalTable.Current.Find("TSTP");
    private static readonly int s_TTIN = SignalTable.Current.Find("TTIN");
    private static readonly int s_TTOU = SignalTable.Current.Find("TTOU");
    private static readonly int s_URG = SignalTable.Current.Find("URG");
    private static readonly int s_XCPU = SignalTable.Current.Find("XCPU");
    private static readonly int s_XFSZ = SignalTable.Current.Find("XFSZ");
    private static readonly int s_VTALRM = SignalTable.Current.Find("VTALRM");
    private static readonly int s_PROF = SignalTable.Current.Find("PROF");
    private static readonly int s_WINCH = SignalTable.Current.Find("WINCH");
    private static readonly int s_IO = SignalTable.Current.Find("IO");
    private static readonly int s_POLL = SignalTable.Current.Find("POLL");
    private static readonly int s_PWR = SignalTable.Current.Find("PWR");
    private static readonly int s_INFO = SignalTable.Current.Find("INFO");
    private static readonly int s_SYS = SignalTable.Current.Find("SYS");
    private static readonly int s_THR = SignalTable.Current.Find("THR");
    private static readonly int s_LIBRT = SignalTable.Current.Find("LIBRT");
    private static readonly int s_BREAK = SignalTable.Current.Find("BREAK");

    /// <summary>SIGHUP: Hangup: the controlling terminal closed, or a daemon is asked to reload.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGHUP.</exception>
    public static int SIGHUP => Defined(s_HUP, "SIGHUP");

    /// <summary>SIGINT: Interrupt from the keyboard (Ctrl+C).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGINT.</exception>
    public static int SIGINT => Defined(s_INT, "SIGINT");

    /// <summary>SIGQUIT: Quit from the keyboard (Ctrl+\); by default ends the process with a core dump.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGQUIT.</exception>
    public static int SIGQUIT => Defined(s_QUIT, "SIGQUIT");

    /// <summary>SIGILL: Illegal instruction.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGILL.</exception>
    public static int SIGILL => Defined(s_ILL, "SIGILL");

    /// <summary>SIGTRAP: Trace or breakpoint trap.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGTRAP.</exception>
    public static int SIGTRAP => Defined(s_TRAP, "SIGTRAP");

    /// <summary>SIGABRT: Abort, as sent by abort(3).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGABRT.</exception>
    public static int SIGABRT => Defined(s_ABRT, "SIGABRT");

    /// <summary>SIGIOT: IOT trap: an alias of SIGABRT.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGIOT.</exception>
    public static int SIGIOT => Defined(s_IOT, "SIGIOT");

    /// <summary>SIGEMT: Emulator trap (BSD and macOS).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGEMT.</exception>
    public static int SIGEMT => Defined(s_EMT, "SIGEMT");

    /// <summary>SIGBUS: Bus error: a bad memory access. 7 on Linux, 10 on macOS and FreeBSD.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGBUS.</exception>
    public static int SIGBUS => Defined(s_BUS, "SIGBUS");

    /// <summary>SIGFPE: Floating-point exception.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGFPE.</exception>
    public static int SIGFPE => Defined(s_FPE, "SIGFPE");

    /// <summary>SIGKILL: Kill: cannot be caught, blocked or ignored.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGKILL.</exception>
    public static int SIGKILL => Defined(s_KILL, "SIGKILL");

    /// <summary>SIGUSR1: User-defined signal 1. 10 on Linux, 30 on macOS and FreeBSD.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGUSR1.</exception>
    public static int SIGUSR1 => Defined(s_USR1, "SIGUSR1");

    /// <summary>SIGSEGV: Segmentation fault: an invalid memory reference.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGSEGV.</exception>
    public static int SIGSEGV => Defined(s_SEGV, "SIGSEGV");

    /// <summary>SIGUSR2: User-defined signal 2. 12 on Linux, 31 on macOS and FreeBSD.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGUSR2.</exception>
    public static int SIGUSR2 => Defined(s_USR2, "SIGUSR2");

    /// <summary>SIGPIPE: Broken pipe: a write to a pipe with no readers.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGPIPE.</exception>
    public static int SIGPIPE => Defined(s_PIPE, "SIGPIPE");

    /// <summary>SIGALRM: Timer signal from alarm(2).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGALRM.</exception>
    public static int SIGALRM => Defined(s_ALRM, "SIGALRM");

    /// <summary>SIGTERM: Termination request: the polite way to ask a process to exit.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGTERM.</exception>
    public static int SIGTERM => Defined(s_TERM, "SIGTERM");

    /// <summary>SIGSTKFLT: Stack fault on a coprocessor (Linux only; unused).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGSTKFLT.</exception>
    public static int SIGSTKFLT => Defined(s_STKFLT, "SIGSTKFLT");

    /// <summary>SIGCHLD: A child process stopped or ended.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGCHLD.</exception>
    public static int SIGCHLD => Defined(s_CHLD, "SIGCHLD");

    /// <summary>SIGCLD: An alias of SIGCHLD (Linux).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGCLD.</exception>
    public static int SIGCLD => Defined(s_CLD, "SIGCLD");

    /// <summary>SIGCONT: Continue a stopped process.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGCONT.</exception>
    public static int SIGCONT => Defined(s_CONT, "SIGCONT");

    /// <summary>SIGSTOP: Stop the process: cannot be caught, blocked or ignored.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGSTOP.</exception>
    public static int SIGSTOP => Defined(s_STOP, "SIGSTOP");

    /// <summary>SIGTSTP: Stop typed at the terminal (Ctrl+Z).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGTSTP.</exception>
    public static int SIGTSTP => Defined(s_TSTP, "SIGTSTP");

    /// <summary>SIGTTIN: Terminal input for a background process.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGTTIN.</exception>
    public static int SIGTTIN => Defined(s_TTIN, "SIGTTIN");

    /// <summary>SIGTTOU: Terminal output for a background process.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGTTOU.</exception>
    public static int SIGTTOU => Defined(s_TTOU, "SIGTTOU");

    /// <summary>SIGURG: Urgent condition on a socket.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGURG.</exception>
    public static int SIGURG => Defined(s_URG, "SIGURG");

    /// <summary>SIGXCPU: CPU time limit exceeded.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGXCPU.</exception>
    public static int SIGXCPU => Defined(s_XCPU, "SIGXCPU");

    /// <summary>SIGXFSZ: File size limit exceeded.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGXFSZ.</exception>
    public static int SIGXFSZ => Defined(s_XFSZ, "SIGXFSZ");

    /// <summary>SIGVTALRM: Virtual alarm clock.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGVTALRM.</exception>
    public static int SIGVTALRM => Defined(s_VTALRM, "SIGVTALRM");

    /// <summary>SIGPROF: Profiling timer expired.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGPROF.</exception>
    public static int SIGPROF => Defined(s_PROF, "SIGPROF");

    /// <summary>SIGWINCH: Window size change.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGWINCH.</exception>
    public static int SIGWINCH => Defined(s_WINCH, "SIGWINCH");

    /// <summary>SIGIO: I/O now possible.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGIO.</exception>
    public static int SIGIO => Defined(s_IO, "SIGIO");

    /// <summary>SIGPOLL: Pollable event: an alias of SIGIO (Linux).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGPOLL.</exception>
    public static int SIGPOLL => Defined(s_POLL, "SIGPOLL");

    /// <summary>SIGPWR: Power failure (Linux).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGPWR.</exception>
    public static int SIGPWR => Defined(s_PWR, "SIGPWR");

    /// <summary>SIGINFO: Status request from the keyboard, Ctrl+T (macOS and FreeBSD).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGINFO.</exception>
    public static int SIGINFO => Defined(s_INFO, "SIGINFO");

    /// <summary>SIGSYS: Bad system call.</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGSYS.</exception>
    public static int SIGSYS => Defined(s_SYS, "SIGSYS");

    /// <summary>SIGTHR: Thread interrupt, used by the thread library (FreeBSD).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGTHR.</exception>
    public static int SIGTHR => Defined(s_THR, "SIGTHR");

    /// <summary>SIGLIBRT: Reserved for the real-time library (FreeBSD).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGLIBRT.</exception>
    public static int SIGLIBRT => Defined(s_LIBRT, "SIGLIBRT");

    /// <summary>SIGBREAK: Ctrl+Break (Windows C runtime).</summary>
    /// <exception cref="PlatformNotSupportedException">This OS has no SIGBREAK.</exception>
    public static int SIGBREAK => Defined(s_BREAK, "SIGBREAK");
}
