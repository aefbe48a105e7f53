namespace OsKill.Cli;

/// <summary>
/// The shapes a script calls in a loop, parsed without building System.CommandLine's model:
/// <c>PID...</c>, <c>-SIG PID...</c> and <c>-s SIG PID...</c>, where every PID is a plain
/// non-negative decimal number. Anything else, or anything odd, goes to the full parser, which
/// gives the same <see cref="Request"/> for these shapes (a test checks that).
/// </summary>
internal static class FastPath
{
    internal static Request? TryParse(string[] args)
    {
        if (args.Length == 0)
        {
            return null;
        }

        int sig = Rules.DefaultSignal;
        int first = 0;
        string head = args[0];
        if (head == "-s")
        {
            if (args.Length < 3 || !Signal.TryParse(args[1], out sig))
            {
                return null;
            }

            first = 2;
        }
        else if (head.Length >= 2 && head[0] == '-')
        {
            if (head[1] == '-' || args.Length < 2 || LegacyArguments.IsOption(head) || !Signal.TryParse(head[1..], out sig))
            {
                return null;
            }

            first = 1;
        }

        for (int i = first; i < args.Length; i++)
        {
            string pid = args[i];
            if (pid.Length == 0 || pid.AsSpan().IndexOfAnyExceptInRange('0', '9') >= 0)
            {
                return null;
            }
        }

        var request = new Request { Signal = sig, Targets = args[first..] };
        return Rules.PlatformCheck(request) is null ? request : null;
    }
}
