using ChangeNotifications.Inbox;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Admin;

/// <summary>One subscription as the store holds it (never its clientState), with the work it still has.</summary>
internal sealed record SubscriptionStatus(
    string Key,
    string Resource,
    string ResourceType,
    string ChangeType,
    Guid? GraphId,
    string State,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? LastRenewedAt,
    DateTimeOffset? LastReauthorizedAt,
    DateTimeOffset? LastNotificationAt,
    string? FailureReason,
    int ConsecutiveFailures,
    DateTimeOffset? NextAttemptAt,
    PendingWork Pending)
{
    public static SubscriptionStatus From(SubscriptionRecord record, long pendingItems, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(
            record.Key,
            record.Resource,
            AdminText.Of(ResourceTypeResolver.Resolve(record.Resource)),
            record.ChangeType,
            record.GraphId,
            StateOf(record, now),
            record.ExpiresAt,
            record.CreatedAt,
            record.LastRenewedAt,
            record.LastReauthorizedAt,
            record.LastNotificationAt,
            record.FailureReason,
            record.ConsecutiveFailures,
            record.NextAttemptAt,
            new PendingWork(pendingItems, record.RenewRequested, record.ReauthorizationPending, record.PendingResyncReason, record.RecreateReason));
    }

    /// <summary>From the stored record alone, so every instance answers alike.</summary>
    private static string StateOf(SubscriptionRecord record, DateTimeOffset now) => record switch
    {
        { FailureReason: not null } => "failing",
        { RecreateReason: not null } => "recreating",
        { GraphId: null } => "creating",
        { ExpiresAt: { } expiresAt } when expiresAt <= now => "expired",
        _ => "active",
    };
}

/// <param name="Items">Notifications of the subscription ready or being handled in the inbox.</param>
/// <param name="Renew">An operator's renewal not carried out yet.</param>
/// <param name="Reauthorization">A <c>reauthorizationRequired</c> not answered yet.</param>
/// <param name="Resync">Why a resync is still owed, if one is.</param>
/// <param name="Recreation">Why a recreation is under way, if one is.</param>
internal sealed record PendingWork(long Items, bool Renew, bool Reauthorization, string? Resync, string? Recreation);

/// <summary>One stored notification item: what it is about and where it stands (never its content or tokens).</summary>
internal sealed record NotificationSummary(
    long Id,
    Guid SubscriptionId,
    string? SubscriptionKey,
    string ResourceType,
    string Kind,
    string? ChangeType,
    string? LifecycleEvent,
    string? Resource,
    string Status,
    int Attempts,
    DateTimeOffset ReceivedAt,
    string? LastError)
{
    public static NotificationSummary From(InboxItem item, SubscriptionRecord? subscription)
    {
        ArgumentNullException.ThrowIfNull(item);
        var notification = item.Parsed.Notification;
        var type = ResourceTypeResolver.Resolve(subscription?.Resource ?? notification?.Resource);
        return new(
            item.Id,
            item.SubscriptionId,
            subscription?.Key,
            AdminText.Of(type),
            item.Kind == InboxItemKind.Lifecycle ? "lifecycle" : "change",
            notification?.ChangeType is { } changeType ? AdminText.Of(changeType) : null,
            notification?.LifecycleEvent is { } lifecycle ? AdminText.Of(lifecycle) : null,
            notification?.Resource,
            AdminText.Of(item.Status),
            item.Attempts,
            item.ReceivedAt,
            item.LastError);
    }
}

/// <param name="NextBefore">The <c>before</c> of the next page; null on the last page.</param>
internal sealed record Page<T>(IReadOnlyList<T> Items, long? NextBefore);

internal sealed record ReplayResult(int Replayed);

internal static class AdminText
{
    /// <summary>An enum value as the API writes and reads it: its name with a lower-case first letter (Graph's style).</summary>
    public static string Of<T>(T value)
        where T : struct, Enum
    {
        var name = value.ToString();
        return string.Concat(name[..1].ToLowerInvariant(), name.AsSpan(1));
    }
}
