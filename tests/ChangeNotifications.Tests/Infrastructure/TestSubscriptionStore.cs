using System.Collections.Concurrent;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>A hand fake of the subscription store, for tests of intake and dispatch that need known subscriptions.</summary>
internal sealed class TestSubscriptionStore : ISubscriptionStore
{
    private readonly ConcurrentDictionary<string, SubscriptionRecord> _byKey = new();

    public ConcurrentDictionary<Guid, DateTimeOffset> Notified { get; } = new();

    public SubscriptionRecord Add(string resource, string changeType = "created,updated,deleted", string? clientState = null)
    {
        var record = new SubscriptionRecord
        {
            Key = $"{resource}|{changeType}",
            Resource = resource,
            ChangeType = changeType,
            ClientState = clientState ?? $"state-{Guid.NewGuid():N}",
            GraphId = Guid.NewGuid(),
            ExpiresAt = DateTimeOffset.UtcNow.AddDays(1),
        };
        _byKey[record.Key] = record;
        return record;
    }

    public ValueTask<SubscriptionRecord?> FindByGraphIdAsync(Guid graphId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_byKey.Values.FirstOrDefault(r => r.GraphId == graphId));

    public Task<SubscriptionRecord?> FindByKeyAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(_byKey.TryGetValue(key, out var r) ? r : null);

    public Task<IReadOnlyList<SubscriptionRecord>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SubscriptionRecord>>([.. _byKey.Values]);

    public Task UpsertAsync(SubscriptionRecord record, CancellationToken cancellationToken)
    {
        _byKey[record.Key] = record;
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        _byKey.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    public Task RecordNotificationAsync(Guid graphId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        Notified[graphId] = at;
        return Task.CompletedTask;
    }
}
