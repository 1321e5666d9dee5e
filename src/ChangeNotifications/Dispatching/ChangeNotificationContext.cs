using ChangeNotifications.Resources;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Dispatching;

/// <summary>What a handler gets for one change notification.</summary>
public sealed record ChangeNotificationContext(
    ChangeNotification Notification,
    SubscriptionView? Subscription,
    ResourceType ResourceType,
    ResourcePath Resource,
    Guid? TenantId,
    long InboxId,
    int Attempt)
{
    /// <summary>The decrypted resource (JSON) of a rich notification, or null.</summary>
    public string? DecryptedContent { get; init; }

    public Guid? SubscriptionId => Notification.SubscriptionId;

    public string ChangeTypeName => Notification.ChangeType?.ToString().ToLowerInvariant() ?? "unknown";

    /// <summary><c>resourceData.id</c> when Graph sent one.</summary>
    public string? ResourceId =>
        Notification.ResourceData?.AdditionalData is { } data && data.TryGetValue("id", out var id) ? id?.ToString() : null;
}

/// <summary>What a handler gets for a catch-up after a lifecycle event.</summary>
public sealed record ResyncContext(
    SubscriptionView Subscription,
    ResourceType ResourceType,
    ResourcePath Resource,
    string Reason);
