using ChangeNotifications.Inbox;
using ChangeNotifications.Storage;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Health;

/// <summary>
/// Reads the inbox's backlog from the store every <c>Health:SampleInterval</c> for the inbox gauges, which never query
/// the store themselves (a scrape must not wait on the disk). A failed read leaves the last sample and is logged at
/// Debug: the <c>store</c> health check is where an unreachable store shows.
/// </summary>
internal sealed partial class InboxBacklogSampler(
    IStoreProbe probe,
    InboxMetrics metrics,
    IOptions<HealthOptions> options,
    TimeProvider time,
    ILogger<InboxBacklogSampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var state = await probe.ProbeAsync(stoppingToken);
                if (state.Problem is null)
                {
                    metrics.Observed(state.Backlog, state.OldestBacklogAt, state.DeadLetters);
                }

                await Task.Delay(options.Value.SampleInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSampleFailed(logger, ex);
                await Task.Delay(options.Value.SampleInterval, time, stoppingToken);
            }
        }
    }

    [LoggerMessage(EventId = 7400, Level = LogLevel.Debug, Message = "Reading the inbox backlog for its gauges failed")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
