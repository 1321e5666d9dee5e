namespace ChangeNotifications.Dispatching;

/// <summary>
/// What dispatching needs of the kept subscriptions: the one a notification came through, without its secret, and
/// a note of when it last notified. The subscription manager implements it.
/// </summary>
internal interface ISubscriptionLookup
{
    /// <summary>The subscription with Graph's id <paramref name="graphId"/>, or null; answered from memory (hot path).</summary>
    ValueTask<SubscriptionView?> FindByGraphIdAsync(Guid graphId, CancellationToken cancellationToken);

    Task RecordNotificationAsync(Guid graphId, DateTimeOffset at, CancellationToken cancellationToken);
}
