using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using OsKill.Core;
using OsKill.Interop;
using OsKill.Posix;

namespace OsKill.Linux.Cgroups;

/// <summary>
/// How <see cref="ProcessContainer.Start"/> starts a program inside a cgroup on Linux, with no
/// window in which the program (or anything it forks) runs outside.
/// </summary>
/// <remarks>
/// <para>.NET has no hook between fork and exec, and clone3's CLONE_INTO_CGROUP is out of reach of
/// <see cref="Process.Start()"/>, so the process starts as /bin/sh running <see cref="EnterScript"/>:
/// the shell writes its own pid into cgroup.procs, writes "in" to a FIFO that only we read, and
/// execs the program in the same process (so <see cref="Process.Id"/> is the program's pid).
/// <see cref="Start(ProcessStartInfo, string, string)"/> returns only after it has read "in": the process is inside by then.</para>
/// <para>The shell must not depend on the environment that the caller gives the program: bash,
/// where it is /bin/sh, imports functions from variables named BASH_FUNC_name%% (one named echo
/// would replace the line that enters the cgroup) and options from SHELLOPTS. It runs with -p
/// there, which ignores both (and every /bin/sh that takes -p gets it); dash imports neither. The program is found here, by
/// <see cref="ProgramPath"/>, and exec'd by absolute path, so PATH and a name that starts with '-'
/// mean what they mean to <see cref="Process.Start()"/>. The program gets default signal handling
/// and an empty signal mask through <see cref="DefaultSignals"/>.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class ContainerLaunch
{
    /// <summary>How long the shell may take to enter the cgroup before the start is given up.</summary>
    internal static readonly TimeSpan EntryLimit = TimeSpan.FromSeconds(30);

    /// <summary>$1 is cgroup.procs, $2 the FIFO that says the shell is inside, the rest the command.</summary>
    internal const string EnterScript = "echo $$ >| \"$1\" || exit 126; echo in 1<>\"$2\" || exit 126; shift 2; exec \"$@\"";

    /// <summary>The exit status of the shell when it could not enter the cgroup.</summary>
    internal const int EntryFailed = 126;

    private const string Shell = "/bin/sh";

    /// <summary>
    /// Whether /bin/sh takes -p, which every shell we start then gets: bash needs it to ignore
    /// functions and options from the environment; dash and ksh take it too; BusyBox refuses it
    /// (and imports neither). Found out by running it, once, not from the name /bin/sh links to.
    /// </summary>
    internal static bool ShellTakesP => CommandProbe.Succeeds(Shell, "-p", "-c", ":");

    /// <summary>Starts the program of <paramref name="startInfo"/> inside the cgroup whose cgroup.procs is <paramref name="procsPath"/>.</summary>
    internal static Process Start(ProcessStartInfo startInfo, string procsPath, string cgroupPath) =>
        Start(startInfo, procsPath, cgroupPath, EntryLimit);

    /// <summary>As <see cref="Start(ProcessStartInfo, string, string)"/>, giving the shell <paramref name="entryLimit"/> to enter (the tests shorten it).</summary>
    internal static Process Start(ProcessStartInfo startInfo, string procsPath, string cgroupPath, TimeSpan entryLimit)
    {
        if (startInfo.UseShellExecute)
        {
            throw new ArgumentException("ProcessContainer.Start needs UseShellExecute = false: the process is started through /bin/sh, which moves itself into the container and then execs the program.", nameof(startInfo));
        }

        string file = startInfo.FileName;
        if (string.IsNullOrEmpty(file))
        {
            throw new ArgumentException("ProcessStartInfo.FileName is empty.", nameof(startInfo));
        }

        // As Process.Start: ENOENT for a program found nowhere, EACCES for a rooted path that is there but cannot be run.
        string program = ProgramPath.Resolve(file) ?? throw (Path.IsPathRooted(file)
            ? File.Exists(file)
                ? new Win32Exception(Errno.EACCES, $"Cannot start '{file}' in the process container {cgroupPath}: the file is not executable.")
                : new Win32Exception(Errno.ENOENT, $"Cannot start '{file}' in the process container {cgroupPath}: no such file.")
            : new Win32Exception(Errno.ENOENT, $"Cannot start '{file}' in the process container {cgroupPath}: no such program next to this executable, in the current directory or on PATH."));

        string directory = Directory.CreateTempSubdirectory("oskill-start-").FullName;
        string fifo = directory + "/entered";
        int fifoFd = -1;
        try
        {
            if (Libc.Mkfifo(fifo, Convert.ToUInt32("600", 8)) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw OsException.FromErrno(errno, "mkfifo", $"cannot make the FIFO {fifo} that tells when a process has entered the cgroup {cgroupPath}", null, null);
            }

            // Opened before the start, without blocking: the shell opens it read-write, which never
            // blocks either, so neither side waits for the other to open.
            fifoFd = Libc.Open(fifo, Libc.O_RDONLY | Libc.O_NONBLOCK_Linux | Libc.O_CLOEXEC_Linux);
            if (fifoFd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw OsException.FromErrno(errno, "open", "cannot open " + fifo, null, null);
            }

            var prefix = new List<string>();
            if (ShellTakesP)
            {
                prefix.Add("-p");
            }

            prefix.AddRange(["-c", EnterScript, "oskill-container", procsPath, fifo]);
            prefix.AddRange(DefaultSignals.Command(startInfo.Environment, program));
            Process process = StartShell(startInfo, prefix);
            try
            {
                WaitUntilInside(process, fifoFd, cgroupPath, procsPath, file, entryLimit);
                return process;
            }
            catch
            {
                process.Dispose();
                throw;
            }
        }
        finally
        {
            if (fifoFd >= 0)
            {
                Libc.Close(fifoFd);
            }

            File.Delete(fifo);
            Directory.Delete(directory);
        }
    }

    /// <summary>Process.Start of /bin/sh with <paramref name="prefix"/> before the caller's arguments; <paramref name="startInfo"/> is restored before it returns.</summary>
    private static Process StartShell(ProcessStartInfo startInfo, List<string> prefix)
    {
        // ProcessStartInfo has no copy; change it for the call and put it back, so that every
        // other setting (environment, directory, redirection, user) is the caller's.
        string file = startInfo.FileName;
        string arguments = startInfo.Arguments;
        var argumentList = new List<string>(startInfo.ArgumentList);
        try
        {
            startInfo.FileName = Shell;
            if (string.IsNullOrEmpty(arguments))
            {
                for (int i = 0; i < prefix.Count; i++)
                {
                    startInfo.ArgumentList.Insert(i, prefix[i]);
                }
            }
            else
            {
                startInfo.Arguments = string.Join(' ', prefix.Select(Quote)) + " " + arguments;
            }

            return Process.Start(startInfo)
                ?? throw new InvalidOperationException($"Process.Start returned no process for {Shell} starting {file}.");
        }
        finally
        {
            startInfo.FileName = file;
            startInfo.ArgumentList.Clear();
            foreach (string a in argumentList)
            {
                startInfo.ArgumentList.Add(a);
            }

            startInfo.Arguments = arguments;
        }
    }

    /// <summary>
    /// Waits, in poll(2), until the shell has written "in" to the FIFO (it is inside) or has exited
    /// without doing so (it could not enter), bounded by <paramref name="entryLimit"/>.
    /// </summary>
    private static unsafe void WaitUntilInside(Process process, int fifoFd, string cgroupPath, string procsPath, string file, TimeSpan entryLimit)
    {
        int pid = process.Id;
        SafePidfdHandle? pidfd = OpenChildPidfd(process);
        try
        {
            long deadline = Deadline.After(entryLimit);
            Libc.PollFd* set = stackalloc Libc.PollFd[2];
            while (true)
            {
                if (ReadEntered(fifoFd))
                {
                    return;
                }

                if (pidfd is null)
                {
                    break; // it has exited (and been reaped) without saying it entered
                }

                set[0] = new Libc.PollFd { Fd = fifoFd, Events = Libc.POLLIN };
                set[1] = new Libc.PollFd { Fd = pidfd.FileDescriptor, Events = Libc.POLLIN };
                int left = Deadline.RemainingMilliseconds(deadline);
                if (left == 0)
                {
                    throw GiveUp(process, pidfd, cgroupPath, file, entryLimit);
                }

                if (Libc.Poll(set, 2, left) < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != Errno.EINTR)
                    {
                        throw OsException.FromErrno(errno, "poll", $"cannot wait for pid {pid} to enter the cgroup {cgroupPath}", pid, null);
                    }
                }

                if (set[1].REvents != 0)
                {
                    if (ReadEntered(fifoFd))
                    {
                        return; // inside, and its program has ended already
                    }

                    break; // exited without a word
                }
            }
        }
        finally
        {
            pidfd?.Dispose();
        }

        throw NotEntered(process, cgroupPath, procsPath, file);
    }

    /// <summary>A pidfd for the child, or null when it has already exited (then its pid may name another process).</summary>
    private static SafePidfdHandle? OpenChildPidfd(Process process)
    {
        int fd = Libc.PidfdOpen(process.Id, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ESRCH)
            {
                return null;
            }

            throw OsException.FromErrno(errno, "pidfd_open", $"cannot open a pidfd for pid {process.Id}, the process just started in a container", process.Id, null);
        }

        var pidfd = new SafePidfdHandle(fd, process.Id);

        // The pidfd names our child only if the child had not exited (and been reaped) when it was opened.
        if (process.HasExited)
        {
            pidfd.Dispose();
            return null;
        }

        return pidfd;
    }

    private static unsafe bool ReadEntered(int fifoFd)
    {
        byte* buffer = stackalloc byte[16];
        while (true)
        {
            nint n = Libc.Read(fifoFd, buffer, 16);
            if (n > 0)
            {
                return true;
            }

            int errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno != Errno.EINTR)
            {
                return false; // 0: no writer yet or any more; EAGAIN: a writer, nothing written yet
            }
        }
    }

    /// <summary>The shell exited before it said it was inside: why, as well as can be told.</summary>
    private static Exception NotEntered(Process process, string cgroupPath, string procsPath, string file)
    {
        process.WaitForExit();
        int status = process.ExitCode;
        string said = process.StartInfo.RedirectStandardError ? WhatItSaid(process.StandardError.ReadToEnd()) : string.Empty;
        if (status != EntryFailed)
        {
            return new InvalidOperationException(
                $"Cannot start '{file}' in the process container {cgroupPath}: {Shell}, which was to move itself into the cgroup and exec it, exited with status {status}.{said}");
        }

        // The shell's own words went to the process's standard error; ask the kernel ourselves.
        int fd = Libc.Open(procsPath, Libc.O_WRONLY | Libc.O_CLOEXEC_Linux);
        int errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (fd >= 0)
        {
            Libc.Close(fd);
        }

        string attempt = $"cannot start '{file}' in the process container: the process could not move itself into the cgroup {cgroupPath} (status {EntryFailed}){said}";
        if (errno is Errno.EACCES or Errno.EPERM or Errno.EROFS)
        {
            return new UnauthorizedAccessException(
                $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}: {attempt} (write {procsPath}). Moving a process into a cgroup needs write access to cgroup.procs of the cgroup and of the common ancestor of both cgroups; a process started as another user (ProcessStartInfo.UserName) has neither.");
        }

        return new OsException(errno == 0 ? Errno.EACCES : errno, $"{attempt}.");
    }

    /// <summary>
    /// The shell neither entered nor exited in time: kill it (it cannot have started the program) and
    /// say so. The kill is audited and traced like every other; its outcome does not change the
    /// answer (a shell that exited meanwhile is ESRCH, and is gone all the same).
    /// </summary>
    private static TimeoutException GiveUp(Process process, SafePidfdHandle pidfd, string cgroupPath, string file, TimeSpan entryLimit)
    {
        Audit.RaiseKill(process.Id, Signal.SIGKILL);
        _ = Pidfd.Send(pidfd.FileDescriptor, process.Id, Signal.SIGKILL);
        return new TimeoutException(
            $"Cannot start '{file}' in the process container {cgroupPath}: {Shell} (pid {process.Id}) had not moved itself into the cgroup after {entryLimit.TotalSeconds:0.###} s; it was killed before it could exec the program.");
    }

    private static string WhatItSaid(string stderr)
    {
        string text = stderr.Trim();
        return text.Length == 0 ? string.Empty : " It said: " + (text.Length > 300 ? text[..300] + "..." : text);
    }

    /// <summary>Quotes an argument for ProcessStartInfo.Arguments, by the rules .NET parses it with (those of the Windows C runtime).</summary>
    private static string Quote(string argument)
    {
        if (argument.Length > 0 && !argument.Any(c => char.IsWhiteSpace(c) || c == '"'))
        {
            return argument;
        }

        var sb = new StringBuilder("\"");
        int backslashes = 0;
        foreach (char c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }

            if (c == '"')
            {
                sb.Append('\\', (backslashes * 2) + 1);
            }
            else
            {
                sb.Append('\\', backslashes);
            }

            backslashes = 0;
            sb.Append(c);
        }

        sb.Append('\\', backslashes * 2);
        sb.Append('"');
        return sb.ToString();
    }
}
