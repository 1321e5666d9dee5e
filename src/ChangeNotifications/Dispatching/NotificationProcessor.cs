using System.Diagnostics;
using System.Text.Json;
using ChangeNotifications.Inbox;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// Turns one inbox item into a handler call (change) or a lifecycle-handler call. The dispatcher, not this, marks the
/// item done and records the subscription's last notification time, once per round.
/// </summary>
public sealed partial class NotificationProcessor(
    HandlerRegistry handlers,
    ILifecycleEventHandler lifecycle,
    IRichNotificationProcessor rich,
    ISubscriptionStore subscriptions,
    ILogger<NotificationProcessor> logger)
{
    public async Task ProcessAsync(InboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var notification = Parse(item);
        NotificationShape.Normalize(notification, item.SubscriptionId, item.Kind == InboxItemKind.Change);
        var subscription = await subscriptions.FindByGraphIdAsync(item.SubscriptionId, cancellationToken);

        if (item.Kind == InboxItemKind.Lifecycle)
        {
            var lifecycleEvent = notification.LifecycleEvent
                ?? throw new PermanentNotificationException("Lifecycle item without a lifecycleEvent.");
            LogLifecycle(logger, lifecycleEvent.ToString(), item.SubscriptionId, notification.TenantId);
            await lifecycle.HandleAsync(new LifecycleEventContext(notification, lifecycleEvent, subscription, item.Id, item.Attempts), cancellationToken);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var decrypted = await rich.PrepareAsync(notification, item, cancellationToken);
        var resource = ResourcePath.Parse(notification.Resource ?? subscription?.Resource ?? string.Empty);
        var type = ResourceTypeResolver.Resolve(resource);
        if (type == ResourceType.Unknown)
        {
            type = ResourceTypeResolver.Resolve(subscription?.Resource, notification.ResourceData?.OdataType);
        }

        var context = new ChangeNotificationContext(notification, subscription, type, resource, notification.TenantId, item.Id, item.Attempts)
        {
            DecryptedContent = decrypted,
        };
        await handlers.For(type).HandleAsync(context, cancellationToken);
        LogHandled(logger, context.ChangeTypeName, type, notification.Resource, item.SubscriptionId, notification.TenantId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static ChangeNotification Parse(InboxItem item)
    {
        try
        {
            using var document = JsonDocument.Parse(item.Payload);
            return new JsonParseNode(document.RootElement).GetObjectValue(ChangeNotification.CreateFromDiscriminatorValue)
                ?? throw new PermanentNotificationException("Stored notification is empty.");
        }
        catch (JsonException ex)
        {
            throw new PermanentNotificationException("Stored notification is not valid JSON.", ex);
        }
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Handled {ChangeType} {ResourceType} {Resource} (subscription {SubscriptionId}, tenant {TenantId}) in {ElapsedMs:0.0} ms")]
    private static partial void LogHandled(ILogger logger, string changeType, ResourceType resourceType, string? resource, Guid subscriptionId, Guid? tenantId, double elapsedMs);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Lifecycle event {LifecycleEvent} for subscription {SubscriptionId} (tenant {TenantId})")]
    private static partial void LogLifecycle(ILogger logger, string lifecycleEvent, Guid subscriptionId, Guid? tenantId);
}
