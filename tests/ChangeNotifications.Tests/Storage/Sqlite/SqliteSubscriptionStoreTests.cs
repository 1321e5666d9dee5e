using ChangeNotifications.Handlers;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Tests.Storage.Sqlite;

/// <summary>The SQLite subscription store's own behaviour; the contract runs in <see cref="SqliteSubscriptionStoreContractTests"/>.</summary>
public sealed class SqliteSubscriptionStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 3, 0, 0, TimeSpan.Zero);
    private readonly TempSqlite _file = new();

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

/// <summary>The subscription store contract on an SQLite file.</summary>
public sealed class SqliteSubscriptionStoreContractTests : SubscriptionStoreContractTests
{
    private readonly TempSqlite _file = new();

    private protected override ISubscriptionStore OpenStore() => new SqliteSubscriptionStore(_file.OpenDatabase());

    public override Task DisposeAsync()
    {
        _file.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The delta-link store contract on an SQLite file.</summary>
public sealed class SqliteDeltaLinkStoreContractTests : DeltaLinkStoreContractTests
{
    private readonly TempSqlite _file = new();

    private protected override IDeltaLinkStore OpenStore() => new SqliteDeltaLinkStore(
        new SqliteDatabase(
            Options.Create(new StorageOptions { SqlitePath = _file.FilePath, Durability = StorageDurability.Normal }),
            new TestEnvironment(_file.Directory),
            [new DeltaLinkSchema()]),
        TimeProvider.System);

    public override Task DisposeAsync()
    {
        _file.Dispose();
        return Task.CompletedTask;
    }
}
