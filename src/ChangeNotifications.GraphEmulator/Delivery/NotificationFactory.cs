using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Rich;
using ChangeNotifications.GraphEmulator.Subscriptions;
using ChangeNotifications.GraphEmulator.Tenant;

namespace ChangeNotifications.GraphEmulator.Delivery;

/// <summary>Notification items as Graph writes them.</summary>
internal sealed class NotificationFactory(GraphEmulatorOptions options)
{
    public OutgoingNotification Change(EmulatedSubscription subscription, EmulatedChange change)
    {
        var item = Common(subscription);
        item["id"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
        item["changeType"] = change.ChangeType;
        item["resource"] = change.Resource;
        var resourceData = new JsonObject { ["@odata.type"] = change.ODataType };
        if (change.ODataId is not null)
        {
            resourceData["@odata.id"] = change.ODataId;
        }

        if (change.ETag is not null)
        {
            resourceData["@odata.etag"] = change.ETag;
        }

        if (change.ResourceId is not null)
        {
            resourceData["id"] = change.ResourceId;
        }

        item["resourceData"] = resourceData;
        var rich = subscription.IncludeResourceData && change.ResourceJson is not null && subscription.EncryptionCertificate is not null;
        if (rich)
        {
            item["encryptedContent"] = ContentEncryptor.Encrypt(change.ResourceJson!, subscription.EncryptionCertificate!, subscription.EncryptionCertificateId ?? string.Empty);
        }

        return new OutgoingNotification(subscription.Id, item, IsLifecycle: false, IsRich: rich);
    }

    public OutgoingNotification Lifecycle(EmulatedSubscription subscription, string lifecycleEvent)
    {
        var item = Common(subscription);
        item["lifecycleEvent"] = lifecycleEvent;
        return new OutgoingNotification(subscription.Id, item, IsLifecycle: true, IsRich: false);
    }

    private JsonObject Common(EmulatedSubscription subscription) => new()
    {
        ["subscriptionId"] = subscription.Id.ToString(),
        ["subscriptionExpirationDateTime"] = SubscriptionJson.Timestamp(subscription.ExpirationDateTime),
        ["tenantId"] = options.TenantId,
        ["clientState"] = subscription.ClientState,
    };
}
