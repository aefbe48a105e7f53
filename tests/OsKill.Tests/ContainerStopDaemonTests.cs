using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OsKill.Tests;

/// <summary>
/// A real daemon in a container: nginx forks its master and exits at once, so the process the
/// container started is gone before any stop. StopAsync still ends the master and its workers
/// politely (nginx removes its pid file on SIGTERM); KillAsync can only SIGKILL them, and the pid
/// file stays, as it did for the user who reported it.
/// </summary>
[Collection(ProcessTreeGroup.Name)]
public class ContainerStopDaemonTests
{
    private static readonly TimeSpan Grow = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StopAsync_ends_a_daemonized_nginx_politely_where_KillAsync_leaves_its_pid_file()
    {
        ContainerStopTests.RequireCgroups();
        string? nginx = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);
        if (nginx is null)
        {
            Assert.Skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)");
        }

        (string stoppedPidFile, ContainerStopResult stopped) = await RunAsync(nginx, c => c.StopAsync(cancellationToken: Ct));
        Assert.False(File.Exists(stoppedPidFile), "nginx did not shut down: its pid file is still there");
        Assert.Equal(StopOutcome.ExitedAtStep, stopped.Outcome);
        Assert.Equal(0, stopped.StepIndex);
        Assert.Equal(3, stopped.Members.Count); // the master and two workers
        Assert.All(stopped.Members, m => Assert.Equal(0, m.StepIndex));
        Assert.DoesNotContain(stopped.Members, m => m.IsMain);

        (string killedPidFile, _) = await RunAsync(nginx, async c => await c.KillAsync(Ct));
        Assert.True(File.Exists(killedPidFile), "after a SIGKILL, nginx cannot remove its pid file");
    }

    private static async Task<(string PidFile, T Result)> RunAsync<T>(string nginx, Func<ProcessContainer, Task<T>> stop)
    {
        string dir = Directory.CreateTempSubdirectory("oskill-nginx-").FullName;
        string pidFile = Path.Combine(dir, "nginx.pid");
        int port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
            worker_processes 2;
            pid {{pidFile}};
            error_log {{dir}}/error.log;
            events { worker_connections 16; }
            http {
              access_log off;
              client_body_temp_path {{dir}}/body;
              proxy_temp_path {{dir}}/proxy;
              fastcgi_temp_path {{dir}}/fastcgi;
              uwsgi_temp_path {{dir}}/uwsgi;
              scgi_temp_path {{dir}}/scgi;
              server { listen 127.0.0.1:{{port}}; }
            }
            """, Ct);
        using var container = new ProcessContainer();
        var psi = new ProcessStartInfo(nginx) { UseShellExecute = false, ArgumentList = { "-c", Path.Combine(dir, "nginx.conf"), "-p", dir + "/" } };
        using Process root = container.Start(psi);
        await root.WaitForExitAsync(Ct);
        Assert.Equal(0, root.ExitCode);
        await ContainerStopTests.WaitForMembersAsync(container, 3, () => File.Exists(pidFile));

        T result = await stop(container);

        Assert.Empty(container.GetProcessIds());
        return (pidFile, result);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
