using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>Hands the emulator's logs to the host's logger factory (the service's, a test's), filtered in the emulator.</summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory target) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}

/// <summary>
/// The emulator's host lifetime inside another process: no Ctrl+C / SIGTERM handling and no "Application started"
/// lines; whoever started the emulator stops it.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
