namespace ChangeNotifications.Subscriptions;

/// <summary>
/// Persistent state of the subscriptions the service keeps. <see cref="FindByGraphIdAsync"/> is on the
/// intake hot path: implementations answer it from memory.
/// </summary>
internal interface ISubscriptionStore
{
    ValueTask<SubscriptionRecord?> FindByGraphIdAsync(Guid graphId, CancellationToken cancellationToken);

    Task<SubscriptionRecord?> FindByKeyAsync(string key, CancellationToken cancellationToken);

    Task<IReadOnlyList<SubscriptionRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the record with the same <see cref="SubscriptionRecord.Key"/>.</summary>
    Task UpsertAsync(SubscriptionRecord record, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);

    Task RecordNotificationAsync(Guid graphId, DateTimeOffset at, CancellationToken cancellationToken);
}
