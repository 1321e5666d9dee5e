using System.Collections.Concurrent;
using ChangeNotifications.Subscriptions;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>The <c>subscriptions</c> table of the SQLite file.</summary>
internal sealed class SubscriptionsSchema : ISqliteSchema
{
    public string Name => "subscriptions";

    public string Sql => """
        CREATE TABLE IF NOT EXISTS subscriptions (
            key                   TEXT PRIMARY KEY,
            graph_id              TEXT NULL,
            resource              TEXT NOT NULL,
            change_type           TEXT NOT NULL,
            client_state          TEXT NOT NULL,
            include_resource_data INTEGER NOT NULL DEFAULT 0,
            encryption_cert_id    TEXT NULL,
            expires_at            INTEGER NULL,
            created_at            INTEGER NULL,
            renewed_at            INTEGER NULL,
            reauthorized_at       INTEGER NULL,
            last_notification_at  INTEGER NULL,
            failure_reason        TEXT NULL,
            failure_count         INTEGER NOT NULL DEFAULT 0,
            pending_resync        TEXT NULL,
            reauthorize_pending   INTEGER NOT NULL DEFAULT 0,
            recreate_reason       TEXT NULL,
            recreating_graph_id   TEXT NULL,
            next_attempt_at       INTEGER NULL,
            renew_requested       INTEGER NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX IF NOT EXISTS ix_subscriptions_graph_id ON subscriptions (graph_id) WHERE graph_id IS NOT NULL;
        """;

    /// <summary>Columns added after the table's first version, with their definitions.</summary>
    private static readonly (string Name, string Definition)[] AddedColumns =
    [
        ("reauthorize_pending", "INTEGER NOT NULL DEFAULT 0"),
        ("recreate_reason", "TEXT NULL"),
        ("recreating_graph_id", "TEXT NULL"),
        ("next_attempt_at", "INTEGER NULL"),
        ("renew_requested", "INTEGER NOT NULL DEFAULT 0"),
    ];

    /// <summary>A file made by an earlier version gets the intention columns (idempotent; a new file has them already).</summary>
    public async Task UpgradeAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using (var info = connection.CreateCommand())
        {
            info.CommandText = "SELECT name FROM pragma_table_info('subscriptions');";
            await using var reader = await info.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                existing.Add(reader.GetString(0));
            }
        }

        if (existing.Count == 0)
        {
            return; // no table yet: Sql creates it whole
        }

        foreach (var (name, definition) in AddedColumns.Where(c => !existing.Contains(c.Name)))
        {
            await using var alter = connection.CreateCommand();
            alter.CommandText = $"ALTER TABLE subscriptions ADD COLUMN {name} {definition};";
            await alter.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

/// <summary>
/// Subscriptions in SQLite, mirrored in memory: <see cref="FindByGraphIdAsync"/> (the intake hot path)
/// answers from memory once the table has been read (at start-up by the reconciler), never touching the disk.
/// Writes go to the disk first, then to memory.
/// </summary>
internal sealed class SqliteSubscriptionStore(SqliteDatabase database) : ISubscriptionStore
{
    /// <summary>Last-notification times closer together than this are kept in memory only.</summary>
    public static readonly TimeSpan NotificationTimeWriteInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, SubscriptionRecord> _byKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, SubscriptionRecord> _byGraphId = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile bool _loaded;

    public async ValueTask<SubscriptionRecord?> FindByGraphIdAsync(Guid graphId, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await LoadAsync(cancellationToken);
        }

        return _byGraphId.TryGetValue(graphId, out var record) ? record : null;
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
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO subscriptions (key, graph_id, resource, change_type, client_state, include_resource_data,
                    encryption_cert_id, expires_at, created_at, renewed_at, reauthorized_at, last_notification_at,
                    failure_reason, failure_count, pending_resync, reauthorize_pending, recreate_reason,
                    recreating_graph_id, next_attempt_at, renew_requested)
                VALUES ($key, $graphId, $resource, $changeType, $clientState, $rich, $certId, $expiresAt, $createdAt,
                    $renewedAt, $reauthorizedAt, $lastNotificationAt, $failureReason, $failureCount, $pendingResync,
                    $reauthorizePending, $recreateReason, $recreatingGraphId, $nextAttemptAt, $renewRequested)
                ON CONFLICT (key) DO UPDATE SET graph_id = excluded.graph_id, resource = excluded.resource,
                    change_type = excluded.change_type, client_state = excluded.client_state,
                    include_resource_data = excluded.include_resource_data, encryption_cert_id = excluded.encryption_cert_id,
                    expires_at = excluded.expires_at, created_at = excluded.created_at, renewed_at = excluded.renewed_at,
                    reauthorized_at = excluded.reauthorized_at, last_notification_at = excluded.last_notification_at,
                    failure_reason = excluded.failure_reason, failure_count = excluded.failure_count,
                    pending_resync = excluded.pending_resync, reauthorize_pending = excluded.reauthorize_pending,
                    recreate_reason = excluded.recreate_reason, recreating_graph_id = excluded.recreating_graph_id,
                    next_attempt_at = excluded.next_attempt_at, renew_requested = excluded.renew_requested;
                """;
            AddParameters(command, record);
            await command.ExecuteNonQueryAsync(cancellationToken);
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
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM subscriptions WHERE key = $key;";
            command.Parameters.AddWithValue("$key", key);
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (_byKey.TryRemove(key, out var old) && old.GraphId is { } graphId)
            {
                _byGraphId.TryRemove(graphId, out _);
            }
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
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE subscriptions SET last_notification_at = $at WHERE graph_id = $graphId;";
            command.Parameters.AddWithValue("$at", UnixTime.ToMs(at));
            command.Parameters.AddWithValue("$graphId", graphId.ToString("D"));
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

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_loaded)
            {
                return;
            }

            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT key, graph_id, resource, change_type, client_state, include_resource_data, encryption_cert_id,
                    expires_at, created_at, renewed_at, reauthorized_at, last_notification_at, failure_reason,
                    failure_count, pending_resync, reauthorize_pending, recreate_reason, recreating_graph_id, next_attempt_at,
                    renew_requested
                FROM subscriptions;
                """;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                Remember(Read(reader));
            }

            _loaded = true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static SubscriptionRecord Read(SqliteDataReader reader) => new()
    {
        Key = reader.GetString(0),
        GraphId = reader.IsDBNull(1) ? null : Guid.Parse(reader.GetString(1)),
        Resource = reader.GetString(2),
        ChangeType = reader.GetString(3),
        ClientState = reader.GetString(4),
        IncludeResourceData = reader.GetInt64(5) != 0,
        EncryptionCertificateId = reader.IsDBNull(6) ? null : reader.GetString(6),
        ExpiresAt = UnixTime.FromMs(reader.GetValue(7)),
        CreatedAt = UnixTime.FromMs(reader.GetValue(8)),
        LastRenewedAt = UnixTime.FromMs(reader.GetValue(9)),
        LastReauthorizedAt = UnixTime.FromMs(reader.GetValue(10)),
        LastNotificationAt = UnixTime.FromMs(reader.GetValue(11)),
        FailureReason = reader.IsDBNull(12) ? null : reader.GetString(12),
        ConsecutiveFailures = reader.GetInt32(13),
        PendingResyncReason = reader.IsDBNull(14) ? null : reader.GetString(14),
        ReauthorizationPending = reader.GetInt64(15) != 0,
        RecreateReason = reader.IsDBNull(16) ? null : reader.GetString(16),
        RecreatingGraphId = reader.IsDBNull(17) ? null : Guid.Parse(reader.GetString(17)),
        NextAttemptAt = UnixTime.FromMs(reader.GetValue(18)),
        RenewRequested = reader.GetInt64(19) != 0,
    };

    private static void AddParameters(SqliteCommand command, SubscriptionRecord record)
    {
        static object Ms(DateTimeOffset? value) => value is { } v ? UnixTime.ToMs(v) : DBNull.Value;
        static object Text(string? value) => (object?)value ?? DBNull.Value;
        var p = command.Parameters;
        p.AddWithValue("$key", record.Key);
        p.AddWithValue("$graphId", record.GraphId is { } id ? id.ToString("D") : DBNull.Value);
        p.AddWithValue("$resource", record.Resource);
        p.AddWithValue("$changeType", record.ChangeType);
        p.AddWithValue("$clientState", record.ClientState);
        p.AddWithValue("$rich", record.IncludeResourceData ? 1 : 0);
        p.AddWithValue("$certId", Text(record.EncryptionCertificateId));
        p.AddWithValue("$expiresAt", Ms(record.ExpiresAt));
        p.AddWithValue("$createdAt", Ms(record.CreatedAt));
        p.AddWithValue("$renewedAt", Ms(record.LastRenewedAt));
        p.AddWithValue("$reauthorizedAt", Ms(record.LastReauthorizedAt));
        p.AddWithValue("$lastNotificationAt", Ms(record.LastNotificationAt));
        p.AddWithValue("$failureReason", Text(record.FailureReason));
        p.AddWithValue("$failureCount", record.ConsecutiveFailures);
        p.AddWithValue("$pendingResync", Text(record.PendingResyncReason));
        p.AddWithValue("$reauthorizePending", record.ReauthorizationPending ? 1 : 0);
        p.AddWithValue("$recreateReason", Text(record.RecreateReason));
        p.AddWithValue("$recreatingGraphId", record.RecreatingGraphId is { } old ? old.ToString("D") : DBNull.Value);
        p.AddWithValue("$nextAttemptAt", Ms(record.NextAttemptAt));
        p.AddWithValue("$renewRequested", record.RenewRequested ? 1 : 0);
    }
}
