using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OsKill.Extensions.Hosting;

// A host as a user would write it: children from configuration (here the command line:
// --Children:web:FileName=/usr/bin/python3 --Children:web:Arguments:0=-m ...), the host's
// shutdown timeout, and how the children are stopped. The children are registered, so started, in
// the order of their keys, which IConfiguration sorts (not the order of the command line or a file).
// The tests read its stdout: one line per log message ("HH:mm:ss.fff info: Category[EventId]
// Message"), "ready name=pid ..." once every child runs, "state name State pid restarts exit" for
// each child when a line "state" comes on stdin, and "host failed: Type: message" when the host
// cannot start (or its stop throws).
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.UseUtcTimestamp = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
    o.ColorBehavior = LoggerColorBehavior.Disabled;
});

double shutdownSeconds = builder.Configuration.GetValue("Host:ShutdownTimeoutSeconds", 30.0);
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(shutdownSeconds));
builder.Services.Configure<ChildProcessHostOptions>(builder.Configuration.GetSection("ChildProcessHost"));
foreach (IConfigurationSection child in builder.Configuration.GetSection("Children").GetChildren())
{
    builder.Services.AddChildProcess(child.Key, child);
}

using IHost host = builder.Build();
IChildProcesses children = host.Services.GetRequiredService<IChildProcesses>();
host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() =>
    Console.Out.WriteLine("ready " + string.Join(' ', children.Children.Select(c => $"{c.Name}={c.ProcessId}"))));
new Thread(() => AnswerStateRequests(children)) { IsBackground = true, Name = "state requests" }.Start();

try
{
    await host.RunAsync();
}
catch (Exception e)
{
    Console.Out.WriteLine($"host failed: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
    return 70;
}

Console.Out.WriteLine($"host exited: {Environment.ExitCode}");
return Environment.ExitCode;

// "state" on stdin: one line per child, as IChildProcesses gives it.
static void AnswerStateRequests(IChildProcesses children)
{
    while (Console.In.ReadLine() is string line)
    {
        if (line.Trim() == "state")
        {
            foreach (ChildProcessInfo c in children.Children)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"state {c.Name} {c.State} pid={c.ProcessId} restarts={c.Restarts} exit={c.LastExitCode}"));
            }
        }
    }
}
