using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Notifications;

/// <summary>
/// The key under which a notification item is stored once. Graph redelivers an unacknowledged batch for up
/// to 4 h; a redelivered item has the same subscription, change, resource, notification id, etag and
/// signature, so it gets the same key. An item that carries nothing that tells one change from the next
/// (driveItem and list notifications have no id and no etag) gets a key unique to this delivery: a
/// redelivery of it is handled again, which a delta query makes harmless, rather than a new change
/// being taken for a duplicate and lost.
/// </summary>
/// <remarks>
/// The key is base64url (no padding) of SHA-256 over
/// <c>subscriptionId|changeType|lifecycleEvent|resource|id|resourceData.id|resourceData.@odata.etag|signature</c>
/// in UTF-8 (enums by member name, empty for absent values), then <c>|expiry in Unix ms</c> for lifecycle
/// events and <c>|a new GUID</c> for items with nothing to tell them apart. Stored keys depend on this text:
/// change it and redeliveries of items stored before the change are no longer recognised.
/// </remarks>
internal static class DedupKey
{
    private const int StackChars = 512;
    private const int EnumChars = 32;
    private const int NumberChars = 24;
    private const int GuidChars = 36;

    // One digest context per thread, reset after each key: SHA256.HashData makes and frees one per call (OpenSSL's
    // EVP_Digest), a sizeable share of the hash's cost.
    [ThreadStatic]
    private static IncrementalHash? t_sha256;

    public static string For(ChangeNotification notification, string? encryptedSignature) =>
        For(DedupKeyFields.From(notification, encryptedSignature));

    public static string For(in DedupKeyFields fields)
    {
        var distinguishable = fields.LifecycleEvent is not null
            || !string.IsNullOrEmpty(fields.Id)
            || !string.IsNullOrEmpty(fields.ResourceId)
            || !string.IsNullOrEmpty(fields.ETag)
            || !string.IsNullOrEmpty(fields.EncryptedSignature);

        var maxChars = (3 * GuidChars) + (2 * EnumChars) + NumberChars + 12
            + Length(fields.Resource) + Length(fields.Id) + Length(fields.ResourceId) + Length(fields.ETag) + Length(fields.EncryptedSignature);
        char[]? rentedChars = null;
        var chars = maxChars <= StackChars ? stackalloc char[maxChars] : (rentedChars = ArrayPool<char>.Shared.Rent(maxChars));
        byte[]? rentedBytes = null;
        try
        {
            var text = chars[..Write(chars, fields, distinguishable)];
            var byteCount = Encoding.UTF8.GetByteCount(text);
            var bytes = byteCount <= 3 * StackChars ? stackalloc byte[byteCount] : (rentedBytes = ArrayPool<byte>.Shared.Rent(byteCount));
            var length = Encoding.UTF8.GetBytes(text, bytes);

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            var sha256 = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha256.AppendData(bytes[..length]);
            sha256.GetHashAndReset(hash);
            return Base64Url.EncodeToString(hash);
        }
        finally
        {
            if (rentedChars is not null)
            {
                ArrayPool<char>.Shared.Return(rentedChars);
            }

            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
            }
        }
    }

    private static int Write(Span<char> text, in DedupKeyFields fields, bool distinguishable)
    {
        var at = 0;
        if (fields.SubscriptionId is { } subscriptionId)
        {
            subscriptionId.TryFormat(text, out at);
        }

        text[at++] = '|';
        at += WriteEnum(text[at..], fields.ChangeType);
        text[at++] = '|';
        at += WriteEnum(text[at..], fields.LifecycleEvent);
        foreach (var part in (ReadOnlySpan<string?>)[fields.Resource, fields.Id, fields.ResourceId, fields.ETag, fields.EncryptedSignature])
        {
            text[at++] = '|';
            part.AsSpan().CopyTo(text[at..]);
            at += Length(part);
        }

        if (fields.LifecycleEvent is not null)
        {
            // Lifecycle events repeat legitimately (a new reauthorizationRequired each time one is due);
            // the subscription's expiry at sending time tells a new one from a redelivery.
            text[at++] = '|';
            if (fields.SubscriptionExpiration is { } expiry)
            {
                expiry.ToUnixTimeMilliseconds().TryFormat(text[at..], out var written, provider: CultureInfo.InvariantCulture);
                at += written;
            }
        }

        if (!distinguishable)
        {
            text[at++] = '|';
            Guid.NewGuid().TryFormat(text[at..], out var written);
            at += written;
        }

        return at;
    }

    private static int WriteEnum<T>(Span<char> text, T? value)
        where T : struct, Enum
    {
        if (value is not { } member)
        {
            return 0;
        }

        Enum.TryFormat(member, text, out var written);
        return written;
    }

    private static int Length(string? value) => value?.Length ?? 0;
}

/// <summary>
/// What <see cref="DedupKey"/> is computed from: the item's subscription, change or lifecycle event, resource,
/// notification id, <c>resourceData.id</c> and <c>resourceData.@odata.etag</c> (as the Graph SDK's additional
/// data renders them as text), the encrypted content's signature, and the subscription's expiry.
/// </summary>
internal readonly record struct DedupKeyFields(
    Guid? SubscriptionId,
    ChangeType? ChangeType,
    LifecycleEventType? LifecycleEvent,
    string? Resource,
    string? Id,
    string? ResourceId,
    string? ETag,
    string? EncryptedSignature,
    DateTimeOffset? SubscriptionExpiration)
{
    /// <summary>The fields of a notification parsed by the Graph SDK.</summary>
    public static DedupKeyFields From(ChangeNotification notification, string? encryptedSignature)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var data = notification.ResourceData?.AdditionalData;
        var resourceId = data is not null && data.TryGetValue("id", out var id) ? id?.ToString() : null;
        var etag = data is not null && data.TryGetValue("@odata.etag", out var tag) ? tag?.ToString() : null;
        return new DedupKeyFields(
            notification.SubscriptionId,
            notification.ChangeType,
            notification.LifecycleEvent,
            notification.Resource,
            notification.Id,
            resourceId,
            etag,
            encryptedSignature,
            notification.SubscriptionExpirationDateTime);
    }
}
