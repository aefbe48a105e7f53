using System.Globalization;

namespace OsKill.Extensions.Hosting.Tests.Infrastructure;

/// <summary>
/// The command line of one OsKill.Hosting.TestHost run: its settings as configuration keys
/// (--Children:web:FileName=...), built child by child. Every child runs through coreutils'
/// <c>env --default-signal</c>, so that it starts with every signal at its default action whatever
/// the test runner inherited.
/// </summary>
public sealed class HostConfig
{
    private readonly List<string> _args = [];

    /// <summary>The settings, one "--key=value" argument each.</summary>
    public IReadOnlyList<string> Args => _args;

    /// <summary>Sets any configuration key.</summary>
    public HostConfig Set(string key, string value)
    {
        _args.Add($"--{key}={value}");
        return this;
    }

    /// <summary>Host:ShutdownTimeoutSeconds, read by the TestHost into HostOptions.ShutdownTimeout.</summary>
    public HostConfig ShutdownTimeout(TimeSpan timeout) =>
        Set("Host:ShutdownTimeoutSeconds", timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture));

    /// <summary>ChildProcessHost:StopOrder.</summary>
    public HostConfig StopOrder(ChildStopOrder order) => Set("ChildProcessHost:StopOrder", order.ToString());

    /// <summary>A child that runs <paramref name="command"/> through <c>env --default-signal</c>, with settings such as ("ExitPolicy", "Restart").</summary>
    public HostConfig Child(string name, string[] command, params (string Key, string Value)[] settings)
    {
        Set($"Children:{name}:FileName", OsKill.Testing.Child.DefaultSignalsEnv);
        string[] arguments = ["--default-signal", .. command];
        for (int i = 0; i < arguments.Length; i++)
        {
            Set($"Children:{name}:Arguments:{i}", arguments[i]);
        }

        foreach ((string key, string value) in settings)
        {
            Set($"Children:{name}:{key}", value);
        }

        return this;
    }

    /// <summary>A child running a /bin/sh script.</summary>
    public HostConfig Shell(string name, string script, params (string Key, string Value)[] settings) =>
        Child(name, ["/bin/sh", "-c", script], settings);

    /// <summary>A child running a bash script.</summary>
    public HostConfig Bash(string name, string script, params (string Key, string Value)[] settings) =>
        Child(name, ["/bin/bash", "-c", script], settings);

    /// <summary>A child running a python3 program (the system's, which works for any user).</summary>
    public HostConfig Python(string name, string program, params (string Key, string Value)[] settings) =>
        Child(name, ["/usr/bin/python3", "-c", program], settings);
}
