using ChangeNotifications.Dispatching;

namespace ChangeNotifications.Subscriptions;

/// <summary>Answers dispatching's lookups from the subscription store, handing out the view without the clientState.</summary>
internal sealed class StoreSubscriptionLookup(ISubscriptionStore store) : ISubscriptionLookup
{
    public async ValueTask<SubscriptionView?> FindByGraphIdAsync(Guid graphId, CancellationToken cancellationToken) =>
        (await store.FindByGraphIdAsync(graphId, cancellationToken))?.ToView();

    public Task RecordNotificationAsync(Guid graphId, DateTimeOffset at, CancellationToken cancellationToken) =>
        store.RecordNotificationAsync(graphId, at, cancellationToken);
}
