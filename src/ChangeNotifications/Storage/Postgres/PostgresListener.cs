using ChangeNotifications.Inbox;
using Npgsql;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>
/// Listens, on a connection of its own, for what other instances tell through the database: an inbox round committed
/// (wakes this instance's idle dispatcher at once rather than at its next poll) and a subscription written (this
/// instance's copy of the subscriptions is read again). A lost connection is opened again, after a pause that doubles up
/// to 30 s; on each (re)connection the dispatcher is woken and the subscriptions read again, for what was missed meanwhile.
/// </summary>
internal sealed partial class PostgresListener(
    NpgsqlDataSource dataSource,
    InboxSignal inboxSignal,
    PostgresSubscriptionStore subscriptions,
    TimeProvider time,
    ILogger<PostgresListener> logger) : BackgroundService
{
    private const int ListeningEvent = 7472;
    private const int LostEvent = 7473;

    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException
                                           && !stoppingToken.IsCancellationRequested)
            {
                LogLost(logger, pause, ex.Message);
                await Task.Delay(pause, time, stoppingToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
                continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        connection.Notification += (_, e) =>
        {
            if (e.Channel == PostgresInbox.NotifyChannel)
            {
                inboxSignal.Notify();
            }
            else if (e.Channel == PostgresSubscriptionStore.NotifyChannel)
            {
                subscriptions.Invalidate();
            }
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {PostgresInbox.NotifyChannel}; LISTEN {PostgresSubscriptionStore.NotifyChannel};", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        LogListening(logger);
        inboxSignal.Notify();
        subscriptions.Invalidate();
        while (true)
        {
            await connection.WaitAsync(stoppingToken);
        }
    }

    [LoggerMessage(EventId = ListeningEvent, Level = LogLevel.Debug, Message = "Listening to PostgreSQL for inbox rounds and subscription changes of other instances")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(EventId = LostEvent, Level = LogLevel.Warning, Message = "Lost the PostgreSQL connection that listens for other instances' inbox rounds and subscription changes; trying again in {Pause} (dispatchers poll meanwhile): {Reason}")]
    private static partial void LogLost(ILogger logger, TimeSpan pause, string reason);
}
