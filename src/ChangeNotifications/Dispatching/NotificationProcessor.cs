using System.Diagnostics;
using ChangeNotifications.Inbox;
using ChangeNotifications.Resources;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// Turns one inbox item into a handler call (change) or a lifecycle-handler call. The dispatcher, not this, marks the
/// item done and records the subscription's last notification time, once per round.
/// </summary>
internal sealed partial class NotificationProcessor(
    HandlerRegistry handlers,
    ILifecycleEventHandler lifecycle,
    IRichNotificationProcessor rich,
    ISubscriptionLookup subscriptions,
    HandlingOutcomes outcomes,
    ILogger<NotificationProcessor> logger)
{
    public async Task ProcessAsync(InboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        // Parsed once for this claim (the claim may already have parsed it for the dedup key), in the handlers' shape.
        var notification = item.Parsed.Notification ?? throw new PermanentNotificationException(item.Parsed.Failure!);
        var subscription = await subscriptions.FindByGraphIdAsync(item.SubscriptionId, cancellationToken);

        if (item.Kind == InboxItemKind.Lifecycle)
        {
            var lifecycleEvent = notification.LifecycleEvent
                ?? throw new PermanentNotificationException("Lifecycle item without a lifecycleEvent.");
            var kind = lifecycleEvent.ToString();
            LogLifecycle(logger, kind, item.SubscriptionId, notification.TenantId);
            if (item.Attempts <= 1)
            {
                outcomes.LifecycleEvent(kind);
            }

            await lifecycle.HandleAsync(new LifecycleEventContext(notification, lifecycleEvent, subscription, item.Id, item.Attempts), cancellationToken);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var (resource, type) = Scope(item, notification, subscription);
        var decrypted = await rich.PrepareAsync(notification, item, cancellationToken);
        var context = new ChangeNotificationContext(notification, subscription, type, resource, notification.TenantId, item.Id, item.Attempts)
        {
            DecryptedContent = decrypted,
        };
        await handlers.For(type).HandleAsync(context, cancellationToken);
        LogHandled(logger, context.ChangeTypeName, type, notification.Resource, item.SubscriptionId, notification.TenantId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The item's resource as its handler gets it and its type, once it is known to lie under its subscription's
    /// resource (<see cref="ResourceScope"/>); else the item is dead-lettered, and logged as a security warning when its
    /// resource is outside the subscription's.</summary>
    private (ResourcePath Resource, ResourceType Type) Scope(InboxItem item, ChangeNotification notification, SubscriptionView? subscription)
    {
        if (subscription is null)
        {
            LogSubscriptionGone(logger, item.Id, item.SubscriptionId, notification.Resource);
            throw new PermanentNotificationException(
                $"subscription {item.SubscriptionId} is no longer known, so what its notification may touch cannot be checked; replay it once the subscription is back");
        }

        var verdict = ResourceScope.Check(subscription.Resource, notification.Resource, notification.ResourceData?.OdataType);
        if (!verdict.IsWithin)
        {
            LogOutsideSubscription(logger, item.Id, item.SubscriptionId, notification.Resource, subscription.Resource, verdict.Reason!);
            throw new PermanentNotificationException(verdict.Reason!);
        }

        return (verdict.Path!, verdict.Type);
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Handled {ChangeType} {ResourceType} {Resource} (subscription {SubscriptionId}, tenant {TenantId}) in {ElapsedMs:0.0} ms")]
    private static partial void LogHandled(ILogger logger, string changeType, ResourceType resourceType, string? resource, Guid subscriptionId, Guid? tenantId, double elapsedMs);

    [LoggerMessage(EventId = 7100, Level = LogLevel.Warning, Message = "Security: inbox item {InboxId} of subscription {SubscriptionId} names resource {Resource}, which its subscription's resource {SubscriptionResource} does not cover: {Reason}; dead-lettered, nothing fetched")]
    private static partial void LogOutsideSubscription(ILogger logger, long inboxId, Guid subscriptionId, string? resource, string subscriptionResource, string reason);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Inbox item {InboxId} of subscription {SubscriptionId} ({Resource}): the subscription is no longer known; dead-lettered, nothing fetched")]
    private static partial void LogSubscriptionGone(ILogger logger, long inboxId, Guid subscriptionId, string? resource);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Lifecycle event {LifecycleEvent} for subscription {SubscriptionId} (tenant {TenantId})")]
    private static partial void LogLifecycle(ILogger logger, string lifecycleEvent, Guid subscriptionId, Guid? tenantId);
}
