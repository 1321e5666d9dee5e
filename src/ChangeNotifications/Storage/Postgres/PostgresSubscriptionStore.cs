using System.Collections.Concurrent;
using ChangeNotifications.Subscriptions;
using Npgsql;
using NpgsqlTypes;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>
/// Subscriptions in the shared database, mirrored in memory on every instance: <see cref="FindByGraphIdAsync"/> (the
/// intake hot path) answers from memory. Every instance must know every subscription, whichever created it, or a
/// notification that reaches another instance than the creator's would be dropped as unknown: a write notifies the
/// other instances (<see cref="PostgresListener"/> reads the table again on each), and a lookup that misses reads the
/// table again itself, at most once per <see cref="MissRefreshInterval"/> (a flood of unknown ids costs one read a
/// second). A read replaces records in place and then drops those gone: a lookup never misses a record that stays.
/// </summary>
internal sealed class PostgresSubscriptionStore(NpgsqlDataSource dataSource, TimeProvider time) : ISubscriptionStore
{
    /// <summary>The channel a write notifies.</summary>
    internal const string NotifyChannel = "cn_subscriptions";

    /// <summary>Last-notification times closer together than this are kept in memory only.</summary>
    public static readonly TimeSpan NotificationTimeWriteInterval = TimeSpan.FromMinutes(1);

    /// <summary>A lookup that misses reads the table again at most this often.</summary>
    public static readonly TimeSpan MissRefreshInterval = TimeSpan.FromSeconds(1);

    private const string SelectColumns = """
        SELECT key, graph_id, resource, change_type, client_state, include_resource_data, encryption_cert_id,
            expires_at, created_at, renewed_at, reauthorized_at, last_notification_at, failure_reason,
            failure_count, pending_resync, reauthorize_pending, recreate_reason, recreating_graph_id, next_attempt_at,
            renew_requested
        FROM subscriptions
        """;

    private readonly ConcurrentDictionary<string, SubscriptionRecord> _byKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, SubscriptionRecord> _byGraphId = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _refreshGate = new();
    private volatile bool _loaded;
    private long? _lastMissRefresh;
    private Task? _missRefresh;

    /// <summary>Called after each read of the table (tests wait for the read a note from another instance causes).</summary>
    internal Action? Reloaded { get; set; }

    public async ValueTask<SubscriptionRecord?> FindByGraphIdAsync(Guid graphId, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await LoadAsync(cancellationToken);
        }

        if (_byGraphId.TryGetValue(graphId, out var record))
        {
            return record;
        }

        return await RefreshAfterMissAsync() && _byGraphId.TryGetValue(graphId, out record) ? record : null;
    }

    public async Task<SubscriptionRecord?> FindByKeyAsync(string key, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        return _byKey.TryGetValue(key, out var record) ? record : null;
    }

    public async Task<IReadOnlyList<SubscriptionRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        return _byKey.Values.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
    }

    public async Task UpsertAsync(SubscriptionRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await LoadAsync(cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO subscriptions (key, graph_id, resource, change_type, client_state, include_resource_data,
                    encryption_cert_id, expires_at, created_at, renewed_at, reauthorized_at, last_notification_at,
                    failure_reason, failure_count, pending_resync, reauthorize_pending, recreate_reason,
                    recreating_graph_id, next_attempt_at, renew_requested)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
                ON CONFLICT (key) DO UPDATE SET graph_id = excluded.graph_id, resource = excluded.resource,
                    change_type = excluded.change_type, client_state = excluded.client_state,
                    include_resource_data = excluded.include_resource_data, encryption_cert_id = excluded.encryption_cert_id,
                    expires_at = excluded.expires_at, created_at = excluded.created_at, renewed_at = excluded.renewed_at,
                    reauthorized_at = excluded.reauthorized_at, last_notification_at = excluded.last_notification_at,
                    failure_reason = excluded.failure_reason, failure_count = excluded.failure_count,
                    pending_resync = excluded.pending_resync, reauthorize_pending = excluded.reauthorize_pending,
                    recreate_reason = excluded.recreate_reason, recreating_graph_id = excluded.recreating_graph_id,
                    next_attempt_at = excluded.next_attempt_at, renew_requested = excluded.renew_requested;
                """);
            AddParameters(upsert, record);
            await WriteAndNotifyAsync(upsert, cancellationToken);
            Remember(record);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await WriteAndNotifyAsync(new NpgsqlBatchCommand("DELETE FROM subscriptions WHERE key = $1;") { Parameters = { new() { Value = key } } }, cancellationToken);
            Forget(key);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task RecordNotificationAsync(Guid graphId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (!_byGraphId.TryGetValue(graphId, out var record) || record.LastNotificationAt >= at)
        {
            return;
        }

        var updated = record with { LastNotificationAt = at };
        if (record.LastNotificationAt is { } previous && at - previous < NotificationTimeWriteInterval)
        {
            Remember(updated);
            return;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // Several instances note notifications of one subscription: the latest time wins.
            await using var command = dataSource.CreateCommand("""
                UPDATE subscriptions SET last_notification_at = $1
                WHERE graph_id = $2 AND (last_notification_at IS NULL OR last_notification_at < $1);
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = at.ToUniversalTime() });
            command.Parameters.Add(new NpgsqlParameter { Value = graphId });
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (_byKey.TryGetValue(record.Key, out var current) && current.GraphId == graphId)
            {
                Remember(current with { LastNotificationAt = at });
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Another instance wrote a subscription (or this one may have missed such a note): reads the table again, in
    /// the background.</summary>
    internal void Invalidate()
    {
        if (_loaded)
        {
            _ = ReloadInBackgroundAsync();
        }
    }

    private async Task ReloadInBackgroundAsync()
    {
        try
        {
            await ReloadAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            // The next note or lookup miss reads it again.
        }
    }

    /// <summary>True when the table was read again for this miss (or a read under way finished); false within
    /// <see cref="MissRefreshInterval"/> of the last miss's read.</summary>
    private async Task<bool> RefreshAfterMissAsync()
    {
        Task refresh;
        lock (_refreshGate)
        {
            if (_missRefresh is { IsCompleted: false } running)
            {
                refresh = running;
            }
            else if (_lastMissRefresh is { } last && time.GetElapsedTime(last) < MissRefreshInterval)
            {
                return false;
            }
            else
            {
                _lastMissRefresh = time.GetTimestamp();
                refresh = _missRefresh = ReloadInBackgroundAsync();
            }
        }

        await refresh;
        return true;
    }

    private async Task WriteAndNotifyAsync(NpgsqlBatchCommand write, CancellationToken cancellationToken)
    {
        // One round trip, one implicit transaction: the note goes out only if the write commits.
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(write);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {NotifyChannel};"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private void Remember(SubscriptionRecord record)
    {
        if (_byKey.TryGetValue(record.Key, out var old) && old.GraphId is { } oldId && oldId != record.GraphId)
        {
            _byGraphId.TryRemove(oldId, out _);
        }

        _byKey[record.Key] = record;
        if (record.GraphId is { } graphId)
        {
            _byGraphId[graphId] = record;
        }
    }

    private void Forget(string key)
    {
        if (_byKey.TryRemove(key, out var old) && old.GraphId is { } graphId)
        {
            _byGraphId.TryRemove(graphId, out _);
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await ReloadAsync(cancellationToken);
        }
    }

    /// <summary>Reads the table and brings memory in line: records replaced in place, then those gone dropped. A
    /// last-notification time kept in memory only stays when it is the later.</summary>
    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var stored = new Dictionary<string, SubscriptionRecord>(StringComparer.Ordinal);
            await using (var command = dataSource.CreateCommand(SelectColumns))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var record = Read(reader);
                    stored[record.Key] = record;
                }
            }

            foreach (var record in stored.Values)
            {
                var kept = _byKey.TryGetValue(record.Key, out var current) && current.GraphId == record.GraphId
                    && current.LastNotificationAt > record.LastNotificationAt
                    ? record with { LastNotificationAt = current.LastNotificationAt }
                    : record;
                Remember(kept);
            }

            foreach (var key in _byKey.Keys.Where(k => !stored.ContainsKey(k)).ToList())
            {
                Forget(key);
            }

            _loaded = true;
        }
        finally
        {
            _writeLock.Release();
        }

        Reloaded?.Invoke();
    }

    private static SubscriptionRecord Read(NpgsqlDataReader reader) => new()
    {
        Key = reader.GetString(0),
        GraphId = reader.IsDBNull(1) ? null : reader.GetGuid(1),
        Resource = reader.GetString(2),
        ChangeType = reader.GetString(3),
        ClientState = reader.GetString(4),
        IncludeResourceData = reader.GetBoolean(5),
        EncryptionCertificateId = reader.IsDBNull(6) ? null : reader.GetString(6),
        ExpiresAt = Time(reader, 7),
        CreatedAt = Time(reader, 8),
        LastRenewedAt = Time(reader, 9),
        LastReauthorizedAt = Time(reader, 10),
        LastNotificationAt = Time(reader, 11),
        FailureReason = reader.IsDBNull(12) ? null : reader.GetString(12),
        ConsecutiveFailures = reader.GetInt32(13),
        PendingResyncReason = reader.IsDBNull(14) ? null : reader.GetString(14),
        ReauthorizationPending = reader.GetBoolean(15),
        RecreateReason = reader.IsDBNull(16) ? null : reader.GetString(16),
        RecreatingGraphId = reader.IsDBNull(17) ? null : reader.GetGuid(17),
        NextAttemptAt = Time(reader, 18),
        RenewRequested = reader.GetBoolean(19),
    };

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static void AddParameters(NpgsqlBatchCommand command, SubscriptionRecord record)
    {
        static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
        static NpgsqlParameter Id(Guid? value) => new() { Value = value is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid };
        static NpgsqlParameter At(DateTimeOffset? value) =>
            new() { Value = value is { } v ? v.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };
        NpgsqlParameter[] parameters =
        [
            Text(record.Key), Id(record.GraphId), Text(record.Resource), Text(record.ChangeType), Text(record.ClientState),
            new NpgsqlParameter { Value = record.IncludeResourceData }, Text(record.EncryptionCertificateId),
            At(record.ExpiresAt), At(record.CreatedAt), At(record.LastRenewedAt), At(record.LastReauthorizedAt),
            At(record.LastNotificationAt), Text(record.FailureReason), new NpgsqlParameter { Value = record.ConsecutiveFailures },
            Text(record.PendingResyncReason), new NpgsqlParameter { Value = record.ReauthorizationPending },
            Text(record.RecreateReason), Id(record.RecreatingGraphId), At(record.NextAttemptAt),
            new NpgsqlParameter { Value = record.RenewRequested },
        ];
        command.Parameters.AddRange(parameters);
    }
}
