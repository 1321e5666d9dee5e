using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions.Helpers;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Notifications;

/// <summary>
/// Reads the few fields of one item of a notification batch that intake needs (to match it) and its dedup key's
/// fields, straight from the <see cref="JsonElement"/>, with the outcomes of the Graph SDK's (Kiota's)
/// <see cref="ChangeNotification"/> parse, which costs much more:
/// <list type="bullet">
/// <item>properties match by exact name; a repeated one: the last wins; a JSON <c>null</c> leaves the field as it was;</item>
/// <item>a field of another JSON kind than it should be reads as absent (a number as subscriptionId, an array as
/// resource), except <c>changeType</c> and <c>lifecycleEvent</c>, where the SDK throws: the item is of the wrong type;</item>
/// <item>an expiry that reads as neither an ISO date nor an invariant-culture date is absent; enum values as the SDK
/// reads them (case-insensitive, numbers and comma lists included; unknown ones absent);</item>
/// <item>a repeated <c>resourceData.id</c> or <c>@odata.etag</c>: the first wins (the SDK's additional data), rendered as
/// the SDK's additional-data value renders as text (a GUID, date or number normalised);</item>
/// <item>an item with a lone UTF-16 surrogate escape anywhere (where the SDK throws for some strings and not others) is
/// read by the SDK itself.</item>
/// </list>
/// Two deliberate differences from the SDK, for the shapes OneDrive's and SharePoint's webhooks send: subscriptionId
/// is a GUID in any form <see cref="Guid.TryParse(string?, out Guid)"/> takes (braces, no hyphens, spaces around; the
/// SDK only the 36-character form), and <c>expirationDateTime</c> stands for a missing
/// <c>subscriptionExpirationDateTime</c>. NotificationItemReaderTests compare both on a corpus, these two excepted.
/// A stored item is read by the SDK once, when it is claimed (<see cref="StoredNotification"/>), and its key fields
/// are taken from that parse with the same two differences (<see cref="KeyFieldsOf"/>).
/// </summary>
internal static class NotificationItemReader
{
    private static readonly string UntypedArrayText = typeof(UntypedArray).FullName!;
    private static readonly string UntypedObjectText = typeof(UntypedObject).FullName!;

    private static readonly (byte[] Wire, ChangeType Member)[] ChangeTypes =
        [("created"u8.ToArray(), ChangeType.Created), ("updated"u8.ToArray(), ChangeType.Updated), ("deleted"u8.ToArray(), ChangeType.Deleted)];

    private static readonly (byte[] Wire, LifecycleEventType Member)[] LifecycleEvents =
    [
        ("reauthorizationRequired"u8.ToArray(), LifecycleEventType.ReauthorizationRequired),
        ("subscriptionRemoved"u8.ToArray(), LifecycleEventType.SubscriptionRemoved),
        ("missed"u8.ToArray(), LifecycleEventType.Missed),
    ];

    /// <summary>False when the SDK would refuse the item (a field of the wrong type).</summary>
    public static bool TryRead(JsonElement item, out NotificationItem notification) => TryRead(item, keyFields: true, out notification);

    /// <summary>
    /// What intake needs to match an item that the inbox gives its key later (<see cref="StoredNotification.DedupKey"/>): its
    /// subscription, kind and clientState; the key's other fields are checked as the SDK would check them, not read
    /// (<see cref="NotificationItem.HasKeyFields"/> false, unless the item went to the SDK). False when
    /// <see cref="TryRead(JsonElement, out NotificationItem)"/> is.
    /// </summary>
    public static bool TryReadForMatch(JsonElement item, out NotificationItem notification) => TryRead(item, keyFields: false, out notification);

    private static bool TryRead(JsonElement item, bool keyFields, out NotificationItem notification)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("A notification item is a JSON object.", nameof(item));
        }

        if (HasSurrogateEscape(item))
        {
            return TryReadWithSdk(item, out notification);
        }

        try
        {
            return TryReadFields(item, keyFields, out notification);
        }
        catch (InvalidOperationException)
        {
            // What the SDK may refuse or read otherwise (a number no type holds): let it decide.
            return TryReadWithSdk(item, out notification);
        }
    }

    private static bool TryReadFields(JsonElement item, bool keyFields, out NotificationItem notification)
    {
        notification = default;
        Guid? subscriptionId = null;
        ChangeType? changeType = null;
        LifecycleEventType? lifecycleEvent = null;
        string? clientState = null, resource = null, id = null, resourceId = null, etag = null, signature = null;
        DateTimeOffset? expiry = null, expiryAlias = null;

        foreach (var property in item.EnumerateObject())
        {
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            switch (NameOf(property))
            {
                case Field.SubscriptionId:
                    subscriptionId = ReadGuid(value);
                    break;
                case Field.ClientState:
                    clientState = StringOrNull(value);
                    break;
                case Field.ChangeType:
                    if (!TryReadEnum(value, ChangeTypes, out changeType))
                    {
                        return false;
                    }

                    break;
                case Field.LifecycleEvent:
                    if (!TryReadEnum(value, LifecycleEvents, out lifecycleEvent))
                    {
                        return false;
                    }

                    break;
                case Field.Resource when keyFields:
                    resource = StringOrNull(value);
                    break;
                case Field.Id when keyFields:
                    id = StringOrNull(value);
                    break;
                case Field.SubscriptionExpiration when keyFields:
                    expiry = DateOrNull(value);
                    break;
                case Field.ExpirationAlias when keyFields:
                    expiryAlias = DateOrNull(value);
                    break;
                case Field.ResourceData:
                    // The SDK makes a new, empty resourceData for any non-null value, an object or not.
                    (resourceId, etag) = ReadResourceData(value, keyFields);
                    break;
                case Field.EncryptedContent when keyFields:
                    signature = ReadSignature(value);
                    break;
            }
        }

        notification = new NotificationItem(
            new DedupKeyFields(subscriptionId, changeType, lifecycleEvent, resource, id, resourceId, etag, signature, expiry ?? expiryAlias),
            clientState,
            keyFields);
        return true;
    }

    /// <summary>
    /// Which field a property is, by its exact name: from its raw UTF-8 (most names), or, for a name written with
    /// escapes, as the SDK compares it (unescaped).
    /// </summary>
    private static Field NameOf(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.Contains((byte)'\\'))
        {
            foreach (var (name, field) in FieldNames)
            {
                if (property.NameEquals(name))
                {
                    return field;
                }
            }

            return Field.Other;
        }

        foreach (var (name, field) in FieldNames)
        {
            if (raw.Length == name.Length && raw.SequenceEqual(name))
            {
                return field;
            }
        }

        return Field.Other;
    }

    /// <summary>The first <c>id</c> and <c>@odata.etag</c> of resourceData as text; without <paramref name="keyFields"/>,
    /// only checked (a number the SDK cannot read throws, as when read).</summary>
    private static (string? ResourceId, string? ETag) ReadResourceData(JsonElement value, bool keyFields)
    {
        string? resourceId = null, etag = null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            return (null, null);
        }

        bool idSeen = false, etagSeen = false;
        foreach (var property in value.EnumerateObject())
        {
            if (!idSeen && property.NameEquals("id"u8))
            {
                idSeen = true;
                resourceId = keyFields ? AdditionalDataText(property.Value) : CheckAdditionalData(property.Value);
            }
            else if (!etagSeen && property.NameEquals("@odata.etag"u8))
            {
                etagSeen = true;
                etag = keyFields ? AdditionalDataText(property.Value) : CheckAdditionalData(property.Value);
            }
        }

        return (resourceId, etag);
    }

    private static string? ReadSignature(JsonElement value)
    {
        string? signature = null;
        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Null && property.NameEquals("dataSignature"u8))
                {
                    signature = StringOrNull(property.Value);
                }
            }
        }

        return signature;
    }

    /// <summary>
    /// An enum as the SDK reads it: the wire names Graph sends compared as they are, anything else through the SDK's
    /// own helper. False (the SDK throws) when the value is not a string.
    /// </summary>
    private static bool TryReadEnum<T>(JsonElement value, (byte[] Wire, T Member)[] wireNames, out T? member)
        where T : struct, Enum
    {
        member = null;
        if (value.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        foreach (var (wire, known) in wireNames)
        {
            if (value.ValueEquals(wire))
            {
                member = known;
                return true;
            }
        }

        member = EnumHelpers.GetEnumValue<T>(value.GetString()!);
        return true;
    }

    /// <summary>A GUID in any form <see cref="Guid.TryParse(string?, out Guid)"/> takes (the 36-character one first, without
    /// making a string), else null.</summary>
    internal static Guid? ReadGuid(JsonElement value) =>
        value.ValueKind != JsonValueKind.String ? null
            : value.TryGetGuid(out var guid) || Guid.TryParse(value.GetString(), out guid) ? guid
            : null;

    private static string? StringOrNull(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset? DateOrNull(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        if (value.TryGetDateTimeOffset(out var iso))
        {
            return iso;
        }

        return DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed) ? parsed : null;
    }

    /// <summary>Throws where <see cref="AdditionalDataText"/> does (a number the SDK cannot read); null.</summary>
    private static string? CheckAdditionalData(JsonElement value) =>
        value.ValueKind != JsonValueKind.Number || value.TryGetDecimal(out _) || value.TryGetDouble(out _)
            ? null
            : throw new InvalidOperationException("A number the SDK cannot read.");

    /// <summary>The SDK's additional-data value of <paramref name="value"/>, as its <c>ToString()</c> renders it.</summary>
    private static string? AdditionalDataText(JsonElement value)
    {
        var culture = CultureInfo.CurrentCulture;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                return value.TryGetDecimal(out var number) ? number.ToString(culture)
                    : value.TryGetDouble(out var real) ? real.ToString(culture)
                    : throw new InvalidOperationException("A number the SDK cannot read.");
            case JsonValueKind.String:
                return value.TryGetDateTime(out var dateTime) ? dateTime.ToString(culture)
                    : value.TryGetDateTimeOffset(out var dateTimeOffset) ? dateTimeOffset.ToString(culture)
                    : value.TryGetGuid(out var guid) ? guid.ToString()
                    : value.GetString();
            case JsonValueKind.True:
                return bool.TrueString;
            case JsonValueKind.False:
                return bool.FalseString;
            case JsonValueKind.Array:
                return UntypedArrayText;
            case JsonValueKind.Object:
                return UntypedObjectText;
            default:
                return null;
        }
    }

    /// <summary>
    /// Whether the item's text has a <c>\uD800</c>–<c>\uDFFF</c> escape: a lone one makes the SDK throw on some
    /// strings and not on others. Such items (and the rare ones with an escaped surrogate pair) go to the SDK.
    /// </summary>
    private static bool HasSurrogateEscape(JsonElement item)
    {
        var text = JsonMarshal.GetRawUtf8Value(item);
        for (var at = text.IndexOf("\\u"u8); at >= 0 && at + 3 < text.Length; at = NextEscape(text, at))
        {
            if (text[at + 2] is (byte)'d' or (byte)'D' && text[at + 3] is (>= (byte)'8' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F'))
            {
                return true;
            }
        }

        return false;

        static int NextEscape(ReadOnlySpan<byte> text, int at)
        {
            var next = text[(at + 2)..].IndexOf("\\u"u8);
            return next < 0 ? -1 : at + 2 + next;
        }
    }

    private enum Field
    {
        Other,
        SubscriptionId,
        ClientState,
        ChangeType,
        LifecycleEvent,
        Resource,
        Id,
        SubscriptionExpiration,
        ExpirationAlias,
        ResourceData,
        EncryptedContent,
    }

    private static readonly (byte[] Name, Field Field)[] FieldNames =
    [
        ("id"u8.ToArray(), Field.Id),
        ("subscriptionId"u8.ToArray(), Field.SubscriptionId),
        ("clientState"u8.ToArray(), Field.ClientState),
        ("changeType"u8.ToArray(), Field.ChangeType),
        ("resource"u8.ToArray(), Field.Resource),
        ("resourceData"u8.ToArray(), Field.ResourceData),
        ("subscriptionExpirationDateTime"u8.ToArray(), Field.SubscriptionExpiration),
        ("expirationDateTime"u8.ToArray(), Field.ExpirationAlias),
        ("lifecycleEvent"u8.ToArray(), Field.LifecycleEvent),
        ("encryptedContent"u8.ToArray(), Field.EncryptedContent),
    ];

    private static bool TryReadWithSdk(JsonElement item, out NotificationItem notification)
    {
        try
        {
            var parsed = new JsonParseNode(item).GetObjectValue(ChangeNotification.CreateFromDiscriminatorValue)!;
            notification = new NotificationItem(KeyFieldsOf(parsed, item), parsed.ClientState);
            return true;
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            notification = default;
            return false;
        }
    }

    /// <summary>Whether the SDK's parse threw because the item does not fit its model (a field of the wrong type).</summary>
    internal static bool IsRefusal(Exception exception) =>
        exception is FormatException or InvalidOperationException or JsonException or OverflowException;

    /// <summary>
    /// The key fields of <paramref name="item"/> from the SDK's parse of it, before <see cref="NotificationShape"/>
    /// touches it: the fields the reader reads, with its two differences (a subscriptionId in any GUID form, and
    /// <c>expirationDateTime</c> for a missing <c>subscriptionExpirationDateTime</c>).
    /// </summary>
    internal static DedupKeyFields KeyFieldsOf(ChangeNotification parsed, JsonElement item)
    {
        var fields = DedupKeyFields.From(parsed, parsed.EncryptedContent?.DataSignature);
        return fields with
        {
            SubscriptionId = fields.SubscriptionId ?? (item.TryGetProperty("subscriptionId"u8, out var id) ? ReadGuid(id) : null),
            SubscriptionExpiration = fields.SubscriptionExpiration ?? (item.TryGetProperty("expirationDateTime"u8, out var expiry) ? DateOrNull(expiry) : null),
        };
    }
}

/// <summary>What intake reads from one notification item: the fields of its dedup key and its clientState.</summary>
/// <param name="HasKeyFields">False when only the subscription and kind of <paramref name="Fields"/> were read
/// (<see cref="NotificationItemReader.TryReadForMatch"/>): no key can be computed from them.</param>
internal readonly record struct NotificationItem(DedupKeyFields Fields, string? ClientState, bool HasKeyFields = true)
{
    public Guid? SubscriptionId => Fields.SubscriptionId;

    public bool IsChange => Fields.ChangeType is not null;

    public bool IsLifecycle => Fields.LifecycleEvent is not null;
}
