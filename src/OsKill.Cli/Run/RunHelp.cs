namespace OsKill.Cli.Run;

/// <summary>The text of <c>oskill run --help</c>.</summary>
internal static class RunHelp
{
    internal const string Text = """
        Usage: oskill run [OPTIONS] [--] CMD [ARGS]

        Run CMD in a container, forward signals to it, stop it at a timeout, stop what it leaves
        behind when it exits, and return only when the container is empty, with CMD's status.
        Options end at '--' or at the first word that is not an option (CMD).

        Container (Linux):
          a cgroup v2 of its own, bound to oskill's life (kill -9 of oskill kills it), where oskill
          may create one (root, or a delegated cgroup); otherwise (or with --no-cgroup) CMD's own
          process group, with oskill as its subreaper (-v says which). CMD starts in a process
          group of its own, with every signal at its default action and none blocked, and gets the
          terminal's foreground if oskill had it. Standard streams are inherited untouched.

        Windows: CMD runs in a job object that dies with oskill, on oskill's console, so Ctrl+C,
          Ctrl+Break and the console's close reach it from Windows; oskill survives them and
          forwards nothing. In a chain, INT and TERM are Ctrl+C, BREAK is Ctrl+Break, and KILL
          ends every member with exit code -1. --no-cgroup, --forward-to group|all and -r are
          refused there.

        Options:
          --timeout MS SIG         after MS milliseconds send SIG; repeat it for a chain:
                                   --timeout 10000 TERM --timeout 2000 KILL (TERM at 10 s, KILL 2 s later)
          --timeout DURATION       GNU timeout's form: DURATION is a number of seconds, or has a unit
                                   s, m, h or d (10s, 1.5m); the signal is -s (TERM)
          -s, --signal SIG         the polite signal: at the timeout, and for what CMD leaves behind
          -k, --kill-after DURATION  with --timeout DURATION: send KILL this long after the signal
          --grace DURATION         how long the polite signal is given before KILL, when a chain
                                   does not end with KILL and for what CMD leaves (default 5s)
          --kill-mode MODE         control-group (default): every step reaches every member;
                                   mixed: the polite steps reach CMD only, KILL reaches everyone
          --forward-to TARGET      where forwarded signals go: main (CMD's pid, the default), group
                                   (CMD's process group), all (every member of the container)
          -r, --rewrite S:R        forward signal S as R (TERM:QUIT, 15:3); R = 0 drops S. Repeatable
          --preserve-status        exit with CMD's status even when the timeout fired
          --no-cgroup              do not make a cgroup: process group and subreaper only
          -v, --verbose            log each forwarded signal and each stop step on stderr
          -h, --help               show this help

        Forwarded: INT, TERM, HUP, QUIT, USR1, USR2, WINCH. A Ctrl+C typed in the terminal reaches
        CMD's process group once, from the terminal; oskill does not receive it.
        A chain that does not end with KILL is followed by KILL after the grace period: oskill run
        returns only when nothing is left.

        Exit status:
          CMD's status; 128+N when signal N ended CMD
          124  the timeout fired (unless --preserve-status)
          125  oskill run itself failed (a bad option, no container)
          126  CMD was found but cannot be executed
          127  CMD was not found

        See docs/run.md.

        """;
}
