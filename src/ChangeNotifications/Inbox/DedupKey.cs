using System.Security.Cryptography;
using System.Text;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Inbox;

/// <summary>
/// The key under which a notification item is stored once. Graph redelivers an unacknowledged batch for up
/// to 4 h; a redelivered item has the same subscription, change, resource, notification id, etag and
/// signature, so it gets the same key. An item that carries nothing that tells one change from the next
/// (driveItem and list notifications have no id and no etag) gets a key unique to this delivery: a
/// redelivery of it is handled again, which a delta query makes harmless, rather than a new change
/// being taken for a duplicate and lost.
/// </summary>
public static class DedupKey
{
    public static string For(ChangeNotification notification, string? encryptedSignature)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var data = notification.ResourceData?.AdditionalData;
        var resourceId = data is not null && data.TryGetValue("id", out var id) ? id?.ToString() : null;
        var etag = data is not null && data.TryGetValue("@odata.etag", out var tag) ? tag?.ToString() : null;

        var text = new StringBuilder(256)
            .Append(notification.SubscriptionId).Append('|')
            .Append(notification.ChangeType).Append('|')
            .Append(notification.LifecycleEvent).Append('|')
            .Append(notification.Resource).Append('|')
            .Append(notification.Id).Append('|')
            .Append(resourceId).Append('|')
            .Append(etag).Append('|')
            .Append(encryptedSignature);

        if (notification.LifecycleEvent is not null)
        {
            // Lifecycle events repeat legitimately (a new reauthorizationRequired each time one is due);
            // the subscription's expiry at sending time tells a new one from a redelivery.
            text.Append('|').Append(notification.SubscriptionExpirationDateTime?.ToUnixTimeMilliseconds());
        }

        var distinguishable = notification.LifecycleEvent is not null
            || !string.IsNullOrEmpty(notification.Id)
            || !string.IsNullOrEmpty(resourceId)
            || !string.IsNullOrEmpty(etag)
            || !string.IsNullOrEmpty(encryptedSignature);
        if (!distinguishable)
        {
            text.Append('|').Append(Guid.NewGuid());
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
