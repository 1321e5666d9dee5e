using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// Asks the handler of a subscription's resource type to catch up (delta or list) after <c>missed</c> or a
/// recreation, and to take its baseline (<see cref="ISubscriptionBaseline"/>) before a subscription can notify.
/// Handlers come from DI; the last one registered for a type wins.
/// </summary>
internal sealed class ResyncRequester(IEnumerable<IChangeNotificationHandler> handlers, ILogger<ResyncRequester> logger)
{
    private readonly Dictionary<ResourceType, IChangeNotificationHandler> _byType = handlers
        .GroupBy(h => h.ResourceType)
        .ToDictionary(g => g.Key, g => g.Last());

    /// <summary>Runs the resync. False when no handler is registered for the type (logged); exceptions propagate.</summary>
    public async Task<bool> ResyncAsync(SubscriptionRecord subscription, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var path = ResourcePath.Parse(subscription.Resource);
        var type = ResourceTypeResolver.Resolve(path);
        if (!_byType.TryGetValue(type, out var handler))
        {
            SubscriptionLog.NoResyncHandler(logger, subscription.Key, subscription.Resource, type, reason);
            return false;
        }

        SubscriptionLog.ResyncRequested(logger, subscription.Key, subscription.Resource, type, reason);
        await handler.ResyncAsync(new ResyncContext(subscription.ToView(), type, path, reason), cancellationToken);
        return true;
    }

    /// <summary>Lets the handler of <paramref name="resource"/>'s type take its baseline (a no-op for handlers that keep
    /// none). Exceptions propagate.</summary>
    public async Task PrepareAsync(string resource, CancellationToken cancellationToken)
    {
        var type = ResourceTypeResolver.Resolve(ResourcePath.Parse(resource));
        if (_byType.TryGetValue(type, out var handler) && handler is ISubscriptionBaseline baseline)
        {
            await baseline.PrepareAsync(resource, cancellationToken);
        }
    }
}
