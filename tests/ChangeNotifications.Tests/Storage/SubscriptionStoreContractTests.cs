using ChangeNotifications.Handlers;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Storage;

/// <summary>What every subscription store promises (<see cref="ISubscriptionStore"/>): every field and intention kept
/// across restarts, lookups by Graph's id that follow recreations and deletes, last-notification times written at most
/// once a minute. Each store runs these in a subclass.</summary>
public abstract class SubscriptionStoreContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 27, 3, 0, 0, TimeSpan.Zero);

    /// <summary>A new store object over the test's storage, as a restarted process would open it.</summary>
    private protected abstract ISubscriptionStore OpenStore();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private protected static SubscriptionRecord Sample(string key = "users/u1/messages|created") => new()
    {
        Key = key,
        Resource = "/users/u1/messages",
        ChangeType = "created",
        ClientState = ClientStateGenerator.Create(),
        GraphId = Guid.NewGuid(),
    };

    [ContractFact]
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
        await OpenStore().UpsertAsync(record, default);

        var reopened = OpenStore();

        Assert.Equal(record, await reopened.FindByKeyAsync(record.Key, default));
        Assert.Equal(record, await reopened.FindByGraphIdAsync(record.GraphId!.Value, default));
        Assert.Single(await reopened.ListAsync(default));
    }

    [ContractFact]
    public async Task Intentions_survive_a_restart()
    {
        var record = Sample() with
        {
            ReauthorizationPending = true,
            RecreateReason = "renewal answered 404",
            RecreatingGraphId = Guid.NewGuid(),
            NextAttemptAt = T0.AddMinutes(5),
        };
        await OpenStore().UpsertAsync(record, default);

        Assert.Equal(record, await OpenStore().FindByKeyAsync(record.Key, default));
    }

    [ContractFact]
    public async Task A_new_graph_id_replaces_the_old_one_and_delete_forgets_both()
    {
        var store = OpenStore();
        var first = Sample();
        await store.UpsertAsync(first, default);
        var recreated = first with { GraphId = Guid.NewGuid() };
        await store.UpsertAsync(recreated, default);

        Assert.Null(await store.FindByGraphIdAsync(first.GraphId!.Value, default));
        Assert.Equal(recreated, await store.FindByGraphIdAsync(recreated.GraphId!.Value, default));

        await store.DeleteAsync(first.Key, default);
        Assert.Null(await store.FindByGraphIdAsync(recreated.GraphId!.Value, default));
        Assert.Empty(await OpenStore().ListAsync(default));
    }

    [ContractFact]
    public async Task Subscriptions_are_listed_in_key_order()
    {
        var store = OpenStore();
        foreach (var key in new[] { "b", "c", "a" })
        {
            await store.UpsertAsync(Sample(key), default);
        }

        Assert.Equal(["a", "b", "c"], (await OpenStore().ListAsync(default)).Select(r => r.Key));
    }

    [ContractFact]
    public async Task Last_notification_time_is_kept_and_written_at_most_once_a_minute()
    {
        var store = OpenStore();
        var record = Sample();
        await store.UpsertAsync(record, default);
        var id = record.GraphId!.Value;

        await store.RecordNotificationAsync(id, T0, default);
        await store.RecordNotificationAsync(id, T0.AddSeconds(20), default);

        Assert.Equal(T0.AddSeconds(20), (await store.FindByGraphIdAsync(id, default))!.LastNotificationAt);
        Assert.Equal(T0, (await OpenStore().FindByKeyAsync(record.Key, default))!.LastNotificationAt);

        await store.RecordNotificationAsync(id, T0.AddMinutes(2), default);
        Assert.Equal(T0.AddMinutes(2), (await OpenStore().FindByKeyAsync(record.Key, default))!.LastNotificationAt);
    }
}

/// <summary>What every delta-link store promises (<see cref="IDeltaLinkStore"/>). Each store runs these in a
/// subclass.</summary>
public abstract class DeltaLinkStoreContractTests : IAsyncLifetime
{
    /// <summary>A new store object over the test's storage, as a restarted process would open it.</summary>
    private protected abstract IDeltaLinkStore OpenStore();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [ContractFact]
    public async Task The_last_link_of_each_key_is_kept_across_restarts()
    {
        var store = OpenStore();
        Assert.Null(await store.GetAsync("drives/d1", default));

        await store.SetAsync("drives/d1", "https://graph.example/delta?token=1", default);
        await store.SetAsync("drives/d1", "https://graph.example/delta?token=2", default);
        await store.SetAsync("users", "https://graph.example/users/delta?token=9", default);

        var reopened = OpenStore();
        Assert.Equal("https://graph.example/delta?token=2", await reopened.GetAsync("drives/d1", default));
        Assert.Equal("https://graph.example/users/delta?token=9", await reopened.GetAsync("users", default));
        Assert.Null(await reopened.GetAsync("drives/d2", default));
    }
}
