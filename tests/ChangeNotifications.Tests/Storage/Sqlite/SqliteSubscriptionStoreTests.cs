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
