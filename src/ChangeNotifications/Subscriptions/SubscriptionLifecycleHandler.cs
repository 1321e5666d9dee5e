using ChangeNotifications.Dispatching;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// The dispatcher's entry point for lifecycle notifications: <c>reauthorizationRequired</c> → reauthorize (or renew),
/// <c>subscriptionRemoved</c> → recreate then resync, <c>missed</c> → resync. Reauthorizing and recreating are the
/// reconciler's, under its lock, so a lifecycle event and a timer tick never act on one subscription at once; a
/// resync only reads Graph and is asked of the handler directly.
/// </summary>
internal sealed class SubscriptionLifecycleHandler(
    SubscriptionReconciler reconciler,
    ISubscriptionStore store,
    ResyncRequester resync,
    ILogger<SubscriptionLifecycleHandler> logger) : ILifecycleEventHandler
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
            LifecycleEventType.Missed => ResyncAfterMissedAsync(graphId, cancellationToken),
            _ => Task.CompletedTask,
        };
    }

    /// <summary><c>missed</c>: ask the resource's handler to catch up. Handler failures propagate (the dispatcher retries).</summary>
    private async Task ResyncAfterMissedAsync(Guid graphId, CancellationToken cancellationToken)
    {
        var record = await store.FindByGraphIdAsync(graphId, cancellationToken);
        if (record is null)
        {
            SubscriptionLog.UnknownSubscription(logger, "missed", graphId);
            return;
        }

        await resync.ResyncAsync(record, "missed", cancellationToken);
    }
}
