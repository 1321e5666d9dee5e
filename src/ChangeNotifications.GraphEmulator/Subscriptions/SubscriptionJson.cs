using System.Globalization;
using System.Text.Json.Nodes;

namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>A subscription as Graph returns it. clientState only comes back in the answer to its creation.</summary>
internal static class SubscriptionJson
{
    public static JsonObject Write(EmulatedSubscription subscription, bool includeClientState) => new()
    {
        ["id"] = subscription.Id.ToString(),
        ["resource"] = subscription.Resource,
        ["applicationId"] = subscription.ApplicationId,
        ["changeType"] = subscription.ChangeType,
        ["clientState"] = includeClientState ? subscription.ClientState : null,
        ["notificationUrl"] = subscription.NotificationUrl.OriginalString,
        ["notificationQueryOptions"] = subscription.NotificationQueryOptions,
        ["lifecycleNotificationUrl"] = subscription.LifecycleNotificationUrl?.OriginalString,
        ["expirationDateTime"] = Timestamp(subscription.ExpirationDateTime),
        ["creatorId"] = subscription.CreatorId,
        ["includeResourceData"] = subscription.IncludeResourceData,
        ["latestSupportedTlsVersion"] = subscription.LatestSupportedTlsVersion,
        ["encryptionCertificate"] = subscription.EncryptionCertificate,
        ["encryptionCertificateId"] = subscription.EncryptionCertificateId,
        ["notificationUrlAppId"] = subscription.NotificationUrlAppId,
    };

    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
