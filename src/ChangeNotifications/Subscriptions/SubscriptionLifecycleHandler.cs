using ChangeNotifications.Dispatching;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// The dispatcher's entry point for lifecycle notifications: <c>reauthorizationRequired</c> → reauthorize (or renew),
/// <c>subscriptionRemoved</c> → recreate then resync, <c>missed</c> → resync. The work itself is the reconciler's,
/// under its lock, so a lifecycle event and a timer tick never act on one subscription at once.
/// </summary>
internal sealed class SubscriptionLifecycleHandler(SubscriptionReconciler reconciler, ILogger<SubscriptionLifecycleHandler> logger) : ILifecycleEventHandler
{
    public Task HandleAsync(LifecycleEventContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Notification.SubscriptionId is not { } graphId)
        {
            SubscriptionLog.UnknownSubscription(logger, context.Event.ToString(), null);
            return Task.CompletedTask;
        }

        return context.Event switch
        {
            LifecycleEventType.ReauthorizationRequired => reconciler.ReauthorizeAsync(graphId, cancellationToken),
            LifecycleEventType.SubscriptionRemoved => reconciler.RecreateAfterRemovalAsync(graphId, cancellationToken),
            LifecycleEventType.Missed => reconciler.ResyncAfterMissedAsync(graphId, cancellationToken),
            _ => Task.CompletedTask,
        };
    }
}
