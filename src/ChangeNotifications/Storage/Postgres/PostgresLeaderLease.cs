using ChangeNotifications.Subscriptions;
using Medallion.Threading.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>
/// The leader lease for instances sharing one PostgreSQL database: a session advisory lock (DistributedLock.Postgres)
/// held on a connection of its own. An instance without it tries again at most every
/// <see cref="SubscriptionsOptions.LeaseRetryInterval"/>; the holder keeps it until its connection goes (process
/// killed, connection terminated, network lost), when PostgreSQL frees the lock for the next instance and
/// <see cref="Lost"/> is cancelled here so this instance stops renewing at once. Session locks need a direct
/// connection: through a transaction-mode pooler (PgBouncer) every statement may land on another session.
/// </summary>
internal sealed partial class PostgresLeaderLease : ILeaderLease, IAsyncDisposable
{
    /// <summary>The advisory lock's name; every instance of one deployment uses it.</summary>
    public const string LockName = "changenotifications-reconciler";

    public const int AcquiredId = 4101;
    public const int LostId = 4102;
    public const int AcquireFailedId = 4103;
    public const int ReleasedId = 4104;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresDistributedLock _lock;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresLeaderLease> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private PostgresDistributedLockHandle? _handle;
    private CancellationTokenRegistration _lostRegistration;
    private DateTimeOffset _nextAttempt = DateTimeOffset.MinValue;
    private DateTimeOffset _acquiredAt;
    private CancellationToken _lost = CancellationToken.None;
    private bool _releasing;

    public PostgresLeaderLease(string connectionString, IOptions<SubscriptionsOptions> options, TimeProvider time, ILogger<PostgresLeaderLease> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        PollInterval = options.Value.LeaseRetryInterval;
        _time = time;
        _logger = logger;
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _lock = new PostgresDistributedLock(
            new PostgresAdvisoryLockKey(LockName, allowHashing: true),
            _dataSource,
            o => o.KeepaliveCadence(PollInterval.Value)); // a quiet connection is still checked, and idle killers see traffic
    }

    /// <summary>Who this instance is in the lease's log lines: host name and process id.</summary>
    public static string InstanceName { get; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    public TimeSpan? PollInterval { get; }

    public CancellationToken Lost => _lost;

    /// <summary>Whether this instance holds the lock now, without trying to take it (for health and tests).</summary>
    public bool IsHeld => _handle is { } held && !held.HandleLostToken.IsCancellationRequested;

    public async ValueTask<bool> HoldsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_handle is { } held)
            {
                if (!held.HandleLostToken.IsCancellationRequested)
                {
                    return true;
                }

                await ForgetAsync(held);
            }

            var now = _time.GetUtcNow();
            if (now < _nextAttempt)
            {
                return false;
            }

            _nextAttempt = now + PollInterval!.Value;
            PostgresDistributedLockHandle? handle;
            try
            {
                handle = await _lock.TryAcquireAsync(TimeSpan.Zero, cancellationToken);
            }
            catch (Exception exception) when ((exception is NpgsqlException or TimeoutException or InvalidOperationException) && !cancellationToken.IsCancellationRequested)
            {
                LogAcquireFailed(_logger, InstanceName, exception.Message, _nextAttempt);
                return false;
            }

            if (handle is null)
            {
                return false;
            }

            _handle = handle;
            _lost = handle.HandleLostToken;
            _acquiredAt = now;
            LogAcquired(_logger, InstanceName);
            _lostRegistration = handle.HandleLostToken.Register(() =>
            {
                if (!_releasing)
                {
                    LogLost(_logger, InstanceName, _time.GetUtcNow() - _acquiredAt);
                }
            });
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Releases the lock at shutdown, so another instance takes over at its next try rather than after a failure.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_handle is { } held)
            {
                _releasing = true;
                await ForgetAsync(held);
                LogReleased(_logger, InstanceName);
            }
        }
        finally
        {
            _gate.Release();
        }

        await _dataSource.DisposeAsync();
        _gate.Dispose();
    }

    private async Task ForgetAsync(PostgresDistributedLockHandle held)
    {
        _handle = null;
        await _lostRegistration.DisposeAsync();
        try
        {
            await held.DisposeAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or ObjectDisposedException)
        {
            // The connection is gone already, and the lock with it.
        }
    }

    [LoggerMessage(EventId = AcquiredId, Level = LogLevel.Information, Message = "Leader lease acquired by {Instance}: this instance now creates, renews and reauthorizes subscriptions")]
    private static partial void LogAcquired(ILogger logger, string instance);

    [LoggerMessage(EventId = LostId, Level = LogLevel.Warning, Message = "Leader lease lost by {Instance} after {HeldFor} (its PostgreSQL connection is gone): renewing stops now; another instance takes over")]
    private static partial void LogLost(ILogger logger, string instance, TimeSpan heldFor);

    [LoggerMessage(EventId = AcquireFailedId, Level = LogLevel.Warning, Message = "Leader lease could not be tried by {Instance}: {Reason}; next try at {NextAttemptAt:O}")]
    private static partial void LogAcquireFailed(ILogger logger, string instance, string reason, DateTimeOffset nextAttemptAt);

    [LoggerMessage(EventId = ReleasedId, Level = LogLevel.Information, Message = "Leader lease released by {Instance} (stopping)")]
    private static partial void LogReleased(ILogger logger, string instance);
}
