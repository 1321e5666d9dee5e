using Microsoft.Graph.Models;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// Acts on a lifecycle notification (<c>reauthorizationRequired</c>, <c>subscriptionRemoved</c>, <c>missed</c>).
/// The subscription manager implements it; exceptions are retried like any other item.
/// </summary>
internal interface ILifecycleEventHandler
{
    Task HandleAsync(LifecycleEventContext context, CancellationToken cancellationToken);
}

internal sealed record LifecycleEventContext(
    ChangeNotification Notification,
    LifecycleEventType Event,
    SubscriptionView? Subscription,
    long InboxId,
    int Attempt);
