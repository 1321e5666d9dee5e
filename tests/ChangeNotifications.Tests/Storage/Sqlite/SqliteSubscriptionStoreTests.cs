using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Tests.Storage.Sqlite;

public sealed class SqliteSubscriptionStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 3, 0, 0, TimeSpan.Zero);
    private readonly TempSqlite _file = new();

    [Fact]
    public async Task Every_field_survives_a_restart()
    {
        var record = Sample() with
        {
            ExpiresAt = T0.AddDays(3),
            CreatedAt = T0,
            LastRenewedAt = T0.AddHours(1),
            LastReauthorizedAt = T0.AddHours(2),
            LastNotificationAt = T0.AddHours(3),
            FailureReason = "Renew: 503 serviceUnavailable: busy",
            ConsecutiveFailures = 2,
            IncludeResourceData = true,
            EncryptionCertificateId = "cert-1",
            PendingResyncReason = "subscriptionRemoved",
        };
        await new SqliteSubscriptionStore(_file.OpenDatabase()).UpsertAsync(record, default);

        var reopened = new SqliteSubscriptionStore(_file.OpenDatabase());

        Assert.Equal(record, await reopened.FindByKeyAsync(record.Key, default));
        Assert.Equal(record, await reopened.FindByGraphIdAsync(record.GraphId!.Value, default));
        Assert.Single(await reopened.ListAsync(default));
    }

    [Fact]
    public async Task Intentions_survive_a_restart()
    {
        var record = Sample() with
        {
            ReauthorizationPending = true,
            RecreateReason = "renewal answered 404",
            RecreatingGraphId = Guid.NewGuid(),
            NextAttemptAt = T0.AddMinutes(5),
        };
        await new SqliteSubscriptionStore(_file.OpenDatabase()).UpsertAsync(record, default);

        Assert.Equal(record, await new SqliteSubscriptionStore(_file.OpenDatabase()).FindByKeyAsync(record.Key, default));
    }

    [Fact]
    public async Task A_file_from_before_the_intention_columns_opens_and_gets_them()
    {
        var record = Sample() with { ExpiresAt = T0.AddDays(1) };
        await using (var old = new SqliteConnection($"Data Source={_file.FilePath}"))
        {
            await old.OpenAsync();
            await using var command = old.CreateCommand();
            command.CommandText = $"""
                CREATE TABLE subscriptions (
                    key TEXT PRIMARY KEY, graph_id TEXT NULL, resource TEXT NOT NULL, change_type TEXT NOT NULL,
                    client_state TEXT NOT NULL, include_resource_data INTEGER NOT NULL DEFAULT 0, encryption_cert_id TEXT NULL,
                    expires_at INTEGER NULL, created_at INTEGER NULL, renewed_at INTEGER NULL, reauthorized_at INTEGER NULL,
                    last_notification_at INTEGER NULL, failure_reason TEXT NULL, failure_count INTEGER NOT NULL DEFAULT 0,
                    pending_resync TEXT NULL);
                INSERT INTO subscriptions (key, graph_id, resource, change_type, client_state, expires_at)
                VALUES ('{record.Key}', '{record.GraphId:D}', '{record.Resource}', '{record.ChangeType}', '{record.ClientState}',
                    {record.ExpiresAt!.Value.ToUnixTimeMilliseconds()});
                """;
            await command.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        var store = new SqliteSubscriptionStore(_file.OpenDatabase());
        Assert.Equal(record, await store.FindByKeyAsync(record.Key, default));

        var pending = record with { ReauthorizationPending = true, NextAttemptAt = T0 };
        await store.UpsertAsync(pending, default);
        Assert.Equal(pending, await new SqliteSubscriptionStore(_file.OpenDatabase()).FindByKeyAsync(record.Key, default));
    }

    [Fact]
    public async Task Lookup_by_graph_id_is_answered_from_memory_once_loaded()
    {
        var store = new SqliteSubscriptionStore(_file.OpenDatabase());
        var record = Sample();
        await store.UpsertAsync(record, default);
        SqliteConnection.ClearAllPools();
        File.Delete(_file.FilePath);

        Assert.Equal(record, await store.FindByGraphIdAsync(record.GraphId!.Value, default));
        Assert.Null(await store.FindByGraphIdAsync(Guid.NewGuid(), default));
    }

    [Fact]
    public async Task A_new_graph_id_replaces_the_old_one_and_delete_forgets_both()
    {
        var store = new SqliteSubscriptionStore(_file.OpenDatabase());
        var first = Sample();
        await store.UpsertAsync(first, default);
        var recreated = first with { GraphId = Guid.NewGuid() };
        await store.UpsertAsync(recreated, default);

        Assert.Null(await store.FindByGraphIdAsync(first.GraphId!.Value, default));
        Assert.Equal(recreated, await store.FindByGraphIdAsync(recreated.GraphId!.Value, default));

        await store.DeleteAsync(first.Key, default);
        Assert.Null(await store.FindByGraphIdAsync(recreated.GraphId!.Value, default));
        Assert.Empty(await new SqliteSubscriptionStore(_file.OpenDatabase()).ListAsync(default));
    }

    [Fact]
    public async Task Last_notification_time_is_kept_and_written_at_most_once_a_minute()
    {
        var store = new SqliteSubscriptionStore(_file.OpenDatabase());
        var record = Sample();
        await store.UpsertAsync(record, default);
        var id = record.GraphId!.Value;

        await store.RecordNotificationAsync(id, T0, default);
        await store.RecordNotificationAsync(id, T0.AddSeconds(20), default);

        Assert.Equal(T0.AddSeconds(20), (await store.FindByGraphIdAsync(id, default))!.LastNotificationAt);
        Assert.Equal(T0, (await new SqliteSubscriptionStore(_file.OpenDatabase()).FindByKeyAsync(record.Key, default))!.LastNotificationAt);

        await store.RecordNotificationAsync(id, T0.AddMinutes(2), default);
        Assert.Equal(T0.AddMinutes(2), (await new SqliteSubscriptionStore(_file.OpenDatabase()).FindByKeyAsync(record.Key, default))!.LastNotificationAt);
    }

    [Fact]
    public void ClientState_never_appears_in_ToString()
    {
        var record = Sample();
        Assert.DoesNotContain(record.ClientState, record.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _file.Dispose();

    private static SubscriptionRecord Sample() => new()
    {
        Key = "users/u1/messages|created",
        Resource = "/users/u1/messages",
        ChangeType = "created",
        ClientState = ClientStateGenerator.Create(),
        GraphId = Guid.NewGuid(),
    };
}
