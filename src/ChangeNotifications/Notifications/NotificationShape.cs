using System.Globalization;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Notifications;

/// <summary>
/// Fills in, on a stored notification the Graph SDK has parsed, what OneDrive's and SharePoint's webhooks send
/// otherwise or not at all, so handlers see one shape: no <c>changeType</c> on a change is <c>updated</c> (those
/// resources name no item and are handled by delta), <c>organizationId</c> stands for a missing or empty
/// <c>tenantId</c>, <c>expirationDateTime</c> for a missing <c>subscriptionExpirationDateTime</c>, and the
/// subscription id is the one the item was stored under (the SDK reads only the 36-character GUID form).
/// </summary>
internal static class NotificationShape
{
    public static void Normalize(ChangeNotification notification, Guid subscriptionId, bool isChange)
    {
        notification.SubscriptionId ??= subscriptionId;
        if (isChange && notification.LifecycleEvent is null)
        {
            notification.ChangeType ??= ChangeType.Updated;
        }

        var data = notification.AdditionalData;
        if (data is null)
        {
            return;
        }

        if (notification.TenantId is null && data.TryGetValue("organizationId", out var organization)
            && Guid.TryParse(organization?.ToString(), out var organizationId))
        {
            notification.TenantId = organizationId;
        }

        if (notification.SubscriptionExpirationDateTime is null && data.TryGetValue("expirationDateTime", out var expiry))
        {
            notification.SubscriptionExpirationDateTime = expiry switch
            {
                DateTimeOffset at => at,
                DateTime at => new DateTimeOffset(DateTime.SpecifyKind(at, at.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : at.Kind)),
                string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) => at,
                _ => null,
            };
        }
    }
}
