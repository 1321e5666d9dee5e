using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;

namespace ChangeNotifications.Handlers;

/// <summary>
/// A type whose notifications name no item (driveItem, list): every notification runs a delta round on the
/// subscribed resource from the delta link stored when the subscription was created or adopted
/// (<see cref="PrepareAsync"/>), so the first notification's change is reported like any later one; with no
/// stored link a notification only takes the current one. A resync with no stored link enumerates it once.
/// </summary>
internal abstract class DeltaChangeHandler(ILogger logger) : GraphChangeHandler(logger), ISubscriptionBaseline
{
    public Task PrepareAsync(string subscriptionResource, CancellationToken cancellationToken) =>
        SyncAsync(ResourcePath.Parse(subscriptionResource), DeltaStart.BaselineOnly, cancellationToken);

    /// <summary>These notifications are always <c>updated</c> and say nothing about the item: never skip one as a delete.</summary>
    protected override bool DeletedNeedsNoFetch => false;

    protected override Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken) =>
        SyncAsync(SubscribedPath(context), DeltaStart.Latest, cancellationToken);

    protected override Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken) =>
        SyncAsync((context ?? throw new ArgumentNullException(nameof(context))).Resource, DeltaStart.Full, cancellationToken);

    /// <summary>One delta round on <paramref name="path"/>; logs each changed item and returns how many.</summary>
    protected abstract Task<int> SyncAsync(ResourcePath path, DeltaStart start, CancellationToken cancellationToken);

    /// <summary>Delta reports state, not events: a deleted facet, an item never modified since creation, or an update.</summary>
    protected static string ChangeOf(bool deleted, DateTimeOffset? created, DateTimeOffset? modified) =>
        deleted ? "deleted" : created == modified ? "created" : "updated";
}
