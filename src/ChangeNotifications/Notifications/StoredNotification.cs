using System.Text.Json;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Notifications;

/// <summary>
/// A stored notification item (<see cref="StoredPayload"/>) parsed once by the Graph SDK: the
/// <see cref="ChangeNotification"/> its handler gets, in the one shape <see cref="NotificationShape"/> gives it, and the
/// fields of its dedup key; or, for a payload the SDK cannot read, why (the item is dead-lettered with that reason).
/// </summary>
internal sealed class StoredNotification
{
    private readonly DedupKeyFields _keyFields;
    private string? _dedupKey;

    private StoredNotification(ChangeNotification? notification, DedupKeyFields keyFields, string? failure)
    {
        Notification = notification;
        _keyFields = keyFields;
        Failure = failure;
    }

    /// <summary>The notification, normalised; null when the payload could not be read (<see cref="Failure"/>).</summary>
    public ChangeNotification? Notification { get; }

    /// <summary>Why the payload could not be read, in words an operator can act on; null when it was.</summary>
    public string? Failure { get; }

    /// <summary>
    /// The key intake would have computed from the item received (<see cref="Notifications.DedupKey"/>), made on first
    /// use and kept: an item with nothing to tell it apart, or one that could not be read, gets a key of its own.
    /// </summary>
    public string DedupKey => _dedupKey ??= Notifications.DedupKey.For(_keyFields);

    /// <summary>Parses the stored copy of an item of subscription <paramref name="subscriptionId"/>; a change
    /// (<paramref name="isChange"/>) or a lifecycle event, as it was stored.</summary>
    public static StoredNotification Parse(Guid subscriptionId, bool isChange, string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                return Unreadable(subscriptionId, "Stored notification is empty.");
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                return Unreadable(subscriptionId, "Stored notification is not a JSON object.");
            }

            var notification = new JsonParseNode(root).GetObjectValue(ChangeNotification.CreateFromDiscriminatorValue)!;
            // The key's fields as intake reads them, before the shape fills in what the item left out.
            var keyFields = NotificationItemReader.KeyFieldsOf(notification, root);
            NotificationShape.Normalize(notification, subscriptionId, isChange);
            return new StoredNotification(notification, keyFields, null);
        }
        catch (JsonException)
        {
            return Unreadable(subscriptionId, "Stored notification is not valid JSON.");
        }
        catch (Exception ex) when (NotificationItemReader.IsRefusal(ex))
        {
            return Unreadable(subscriptionId, "Stored notification does not fit Graph's change notification: " + ex.Message);
        }
    }

    private static StoredNotification Unreadable(Guid subscriptionId, string failure) =>
        new(null, new DedupKeyFields(subscriptionId, null, null, null, null, null, null, null, null), failure);
}
