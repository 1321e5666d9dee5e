using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using ChangeNotifications.Receiving;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Security;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Tests.Notifications;

/// <summary>
/// The intake's reader against the Graph SDK's parse it replaces: on a corpus of items (the tests' payload builders,
/// rich, lifecycle, driveItem and emulator-shaped items, and every field overridden with values of every JSON kind),
/// both refuse the same items, read the same dedup fields and clientState, and give the same key as the key's
/// reference definition. Two differences are deliberate (the shapes OneDrive's and SharePoint's webhooks send), and
/// stated where they apply: a subscriptionId in another GUID form than the SDK's 36 characters (braces, no hyphens,
/// spaces around) is read, and <c>expirationDateTime</c> stands for a missing <c>subscriptionExpirationDateTime</c>.
/// </summary>
public sealed class NotificationItemReaderTests
{
    private static readonly SubscriptionRecord Subscription = new TestSubscriptionStore().Add("/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages");

    private static readonly string[] Fields =
    [
        "subscriptionId", "clientState", "changeType", "lifecycleEvent", "resource", "id", "subscriptionExpirationDateTime",
        "tenantId", "resourceData", "encryptedContent", "@odata.type", "somethingNew",
    ];

    /// <summary>Raw JSON values, of every kind and of the forms the SDK reads one way or another.</summary>
    private static readonly string[] Values =
    [
        "null", "5", "-1.50", "1e400", "12345678901234567890123456789", "true", "false", "\"\"", "\" \"", "[]", "[1e400, \"x\"]", "{}",
        "\"text\"", "\"5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d\"", "\"5B0C9A6D-1E2F-4A3B-8C4D-9E0F1A2B3C4D\"",
        "\"{5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d}\"", "\"5b0c9a6d1e2f4a3b8c4d9e0f1a2b3c4d\"", "\" 5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d\"",
        "\"\\u0035b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d\"",
        "\"2026-11-27T08:00:00Z\"", "\"2026-11-27T08:00:00.1234567+02:00\"", "\"2026-11-27\"", "\"11/27/2026 08:00\"", "\"27/11/2026\"",
        "\"0001-01-01T00:00:00+01:00\"", "\"9999-12-31T23:59:59-01:00\"",
        "\"created\"", "\"Updated\"", "\"DELETED\"", "\" created \"", "\"created,deleted\"", "\"5\"", "\"-3\"", "\"unknownFutureValue\"",
        "\"cre\\u0061ted\"", "\"missed\"", "\"subscriptionRemoved\"", "\"reauthorizationRequired\"", "\"Missed,missed\"",
        "{\"id\": \"AAMkAD+/=\", \"@odata.etag\": \"W/\\\"CQAAAB\\\"\"}", "{\"id\": null, \"id\": \"x\", \"@odata.etag\": \"a\", \"@odata.etag\": \"b\"}",
        "{\"id\": \"5B0C9A6D-1E2F-4A3B-8C4D-9E0F1A2B3C4D\", \"@odata.etag\": \"2026-11-27T08:00:00Z\"}", "{\"id\": 12.50, \"@odata.etag\": true}",
        "{\"id\": {\"a\": [1]}, \"@odata.etag\": [1]}", "{\"id\": 1e400, \"@odata.etag\": false}", "{\"id\": \"0001-01-01T00:00:00+01:00\"}",
        "{\"@odata.type\": \"#microsoft.graph.driveItem\"}", "{\"ID\": \"x\", \"@odata.Etag\": \"y\"}",
        "{\"dataSignature\": \"c2ln\"}", "{\"dataSignature\": 5}", "{\"dataSignature\": null}", "{\"dataSignature\": \"a\", \"dataSignature\": null}",
        "\"\\ud83d\\ude00 smile\"", "\"lone \\ud800\"", "[\"lone \\udc00 in an array\"]", "{\"lone\": \"\\ud800\"}",
    ];

    public static IEnumerable<string> BuilderItems()
    {
        yield return Payloads.Item(Subscription);
        yield return Payloads.Item(Subscription, "updated");
        yield return Payloads.Item(Subscription, "deleted", messageId: "AAMkAGI2TG93AAA=", etag: "W/\"JzEtRmlyc3QgZXRhZw==\"");
        yield return Payloads.Item(Subscription, clientState: "forged");
        yield return Payloads.Lifecycle(Subscription, "reauthorizationRequired");
        yield return Payloads.Lifecycle(Subscription, "subscriptionRemoved");
        yield return Payloads.Lifecycle(Subscription, "missed");
        yield return Payloads.Lifecycle(Subscription with { ExpiresAt = null }, "missed");
        yield return RichItem();
        yield return EmulatorShaped("/drives/b!x/root", "#microsoft.graph.driveItem", resourceId: null, etag: null);
        yield return EmulatorShaped("Users/5b0c9a6d/Messages/AAMk=", "#Microsoft.Graph.Message", "AAMkAD+/=", "W/\"CQAAABYAAAA\"");
        yield return EmulatorShaped("Users/5b0c9a6d", "#Microsoft.Graph.User", "5B0C9A6D-1E2F-4A3B-8C4D-9E0F1A2B3C4D", null);
        yield return EmulatorShaped("teams('t')/channels('c')/messages('1616990032035')", "#Microsoft.Graph.chatMessage", "1616990032035", null);
        yield return """{"subscriptionId": "5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d"}""";
        yield return "{}";

        // Property names written with escapes: the SDK compares them unescaped.
        yield return $$"""{"subscription\u0049d": "{{Subscription.GraphId}}", "\u0063hangeType": "updated", "re\u0073ource": "Users/x", "i\u0064": "1", "clientStat\u0065": "{{Subscription.ClientState}}"}""";
        yield return $$"""{"subscriptionId": "{{Subscription.GraphId}}", "changeType": "updated", "resourceData": {"\u0069d": "r1", "@odata.\u0065tag": "e1"}, "lifecycle\u0045vent": "missed"}""";
        yield return $$"""{"subscriptionId": "{{Subscription.GraphId}}", "changeType": "updated", "Resource": "Users/x", "\u0049d": "1", "resource\u0044ata2": []}""";
    }

    public static IEnumerable<string> OverriddenItems()
    {
        var baseItem = Payloads.Item(Subscription);
        var lifecycle = Payloads.Lifecycle(Subscription, "missed");
        foreach (var field in Fields)
        {
            foreach (var value in Values)
            {
                yield return With(baseItem, field, value);
                yield return With(lifecycle, field, value);
            }
        }
    }

    [Fact]
    public void Builder_rich_lifecycle_driveItem_and_emulator_items_read_as_the_SDK_reads_them() =>
        AssertAllEquivalent(BuilderItems());

    [Fact]
    public void Items_with_any_field_of_any_kind_or_form_read_as_the_SDK_reads_them() =>
        AssertAllEquivalent(OverriddenItems());

    [Fact]
    public void Dedup_key_of_the_read_fields_is_the_reference_key_of_the_SDK_parse()
    {
        var failures = new List<string>();
        foreach (var item in BuilderItems().Concat(OverriddenItems()))
        {
            var sdk = SdkParse(item);
            if (sdk is null || !NotificationItemReader.TryRead(Element(item), out var read) || !Distinguishable(read.Fields))
            {
                continue;
            }

            if (read.SubscriptionId != sdk.SubscriptionId)
            {
                // The deliberate exception: another GUID form the SDK does not read (checked in AssertAllEquivalent).
                continue;
            }

            var expected = ReferenceKey(sdk);
            if (DedupKey.For(read.Fields) != expected || DedupKey.For(sdk, sdk.EncryptedContent?.DataSignature) != expected)
            {
                failures.Add(item);
            }
        }

        Assert.True(failures.Count == 0, "Keys differ for:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Read_for_a_match_refuses_the_same_items_and_reads_the_same_subscription_kind_and_clientState()
    {
        var failures = new List<string>();
        foreach (var item in BuilderItems().Concat(OverriddenItems()))
        {
            var full = NotificationItemReader.TryRead(Element(item), out var read);
            var matched = NotificationItemReader.TryReadForMatch(Element(item), out var match);
            if (full != matched || (full && (
                match.SubscriptionId != read.SubscriptionId || match.IsChange != read.IsChange || match.IsLifecycle != read.IsLifecycle
                || match.Fields.ChangeType != read.Fields.ChangeType || match.Fields.LifecycleEvent != read.Fields.LifecycleEvent
                || match.ClientState != read.ClientState || (match.HasKeyFields && match.Fields != read.Fields))))
            {
                failures.Add($"{item}\n  read: {(full ? read : "refused")}\n  for a match: {(matched ? match : "refused")}");
            }
        }

        Assert.True(failures.Count == 0, "Read otherwise for a match:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Read_for_a_match_leaves_the_key_fields_out_of_a_plain_item()
    {
        Assert.True(NotificationItemReader.TryReadForMatch(Element(Payloads.Item(Subscription)), out var match));

        Assert.False(match.HasKeyFields);
        Assert.Equal(Subscription.GraphId, match.SubscriptionId);
        Assert.Null(match.Fields.Resource);
    }

    [Fact]
    public void Key_of_the_stored_copy_is_the_key_of_the_item_received()
    {
        var failures = new List<string>();
        var compared = 0;
        foreach (var item in BuilderItems().Concat(OverriddenItems()))
        {
            if (!NotificationItemReader.TryRead(Element(item), out var read) || !Distinguishable(read.Fields) || read.SubscriptionId is not { } subscriptionId)
            {
                continue;
            }

            compared++;
            if (StoredNotification.Parse(subscriptionId, read.IsChange, Encoding.UTF8.GetString(StoredPayload.Of(Element(item)))).DedupKey != DedupKey.For(read.Fields))
            {
                failures.Add(item);
            }
        }

        Assert.True(compared > 100, $"Only {compared} items compared.");
        Assert.True(failures.Count == 0, "Keys of the stored copy differ for:\n" + string.Join("\n", failures));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1]")]
    [InlineData("{\"changeType\": 5}")]
    public void Stored_payload_that_cannot_be_read_gets_a_key_of_its_own(string payload)
    {
        var subscriptionId = Subscription.GraphId!.Value;

        Assert.NotEqual(StoredNotification.Parse(subscriptionId, true, payload).DedupKey, StoredNotification.Parse(subscriptionId, true, payload).DedupKey);
    }

    [Fact]
    public void Items_with_nothing_to_tell_them_apart_get_a_new_key_each_time()
    {
        var drive = $$"""{"subscriptionId": "{{Subscription.GraphId}}", "changeType": "updated", "resource": "/drives/b!x/root", "resourceData": {"@odata.type": "#microsoft.graph.driveItem" } }""";
        Assert.True(NotificationItemReader.TryRead(Element(drive), out var read));

        Assert.False(Distinguishable(read.Fields));
        Assert.NotEqual(DedupKey.For(read.Fields), DedupKey.For(read.Fields));
    }

    [Fact]
    public void Long_fields_beyond_the_stack_buffer_give_the_reference_key()
    {
        var item = With(Payloads.Item(Subscription), "resource", JsonSerializer.Serialize(new string('é', 3000) + "\U0001F600"));
        var sdk = SdkParse(item)!;
        Assert.True(NotificationItemReader.TryRead(Element(item), out var read));

        Assert.Equal(ReferenceKey(sdk), DedupKey.For(read.Fields));
    }

    public static TheoryData<string, string> WrongTypes => new()
    {
        { "changeType", "3" },
        { "changeType", "true" },
        { "changeType", "{}" },
        { "lifecycleEvent", "[\"missed\"]" },
        { "id", "\"lone \\ud800\"" },
        { "clientState", "\"\\udc00\"" },
        { "subscriptionExpirationDateTime", "\"\\ud800\"" },
        { "somethingNew", "\"\\ud800\"" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task Item_the_SDK_refuses_gets_400_and_nothing_is_stored(string field, string value)
    {
        using var service = new ServiceFactory();
        var subscription = service.Subscriptions.Add("/me/messages");
        var item = With(Payloads.Item(subscription), field, value);
        Assert.Null(SdkParse(item));
        var client = service.CreateClient();

        var response = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(subscription), item)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("wrong type", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await service.Inbox.CountAsync(default)).Total);
    }

    private static void AssertAllEquivalent(IEnumerable<string> items)
    {
        var failures = new List<string>();
        var count = 0;
        foreach (var item in items)
        {
            count++;
            var sdk = SdkParse(item);
            var readable = NotificationItemReader.TryRead(Element(item), out var read);
            if (sdk is null != !readable
                || (sdk is not null && (read.Fields != SdkFieldsBut(item, sdk) || read.ClientState != sdk.ClientState)))
            {
                failures.Add($"{item}\n  sdk: {(sdk is null ? "refused" : DedupKeyFields.From(sdk, sdk.EncryptedContent?.DataSignature) + " " + sdk.ClientState)}\n  read: {(readable ? read : "refused")}");
            }
        }

        Assert.True(count > 10, "The corpus is empty.");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} items read otherwise than the SDK reads them:\n" + string.Join("\n", failures));
    }

    /// <summary>The SDK's fields with the reader's deliberate exception: the last non-null subscriptionId in a GUID form
    /// the SDK does not read (where the SDK reads none).</summary>
    private static DedupKeyFields SdkFieldsBut(string item, ChangeNotification sdk)
    {
        var fields = DedupKeyFields.From(sdk, sdk.EncryptedContent?.DataSignature);
        var last = Element(item).EnumerateObject().LastOrDefault(p => p.NameEquals("subscriptionId") && p.Value.ValueKind != JsonValueKind.Null);
        return fields.SubscriptionId is null && last.Value.ValueKind == JsonValueKind.String && Guid.TryParse(last.Value.GetString(), out var other)
            ? fields with { SubscriptionId = other }
            : fields;
    }

    [Theory]
    [InlineData("{5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d}")]
    [InlineData("5B0C9A6D1E2F4A3B8C4D9E0F1A2B3C4D")]
    [InlineData(" 5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d ")]
    public void Exception_subscriptionId_in_another_GUID_form_is_read_where_the_SDK_reads_none(string id)
    {
        var item = $$"""{"subscriptionId": "{{id}}", "resource": "/me/drive/root"}""";

        Assert.True(NotificationItemReader.TryReadForMatch(Element(item), out var read));

        Assert.Null(SdkParse(item)!.SubscriptionId);
        Assert.Equal(Guid.Parse("5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d"), read.SubscriptionId);
    }

    [Fact]
    public void Exception_expirationDateTime_stands_for_a_missing_subscriptionExpirationDateTime()
    {
        const string alias = """{"subscriptionId": "5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d", "lifecycleEvent": "missed", "expirationDateTime": "2016-04-30T17:27:00.0000000Z"}""";
        const string both = """{"subscriptionId": "5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d", "lifecycleEvent": "missed", "expirationDateTime": "2016-04-30T17:27:00Z", "subscriptionExpirationDateTime": "2026-11-27T08:00:00Z"}""";

        Assert.True(NotificationItemReader.TryRead(Element(alias), out var fromAlias));
        Assert.True(NotificationItemReader.TryRead(Element(both), out var fromBoth));

        Assert.Null(SdkParse(alias)!.SubscriptionExpirationDateTime);
        Assert.Equal(new DateTimeOffset(2016, 4, 30, 17, 27, 0, TimeSpan.Zero), fromAlias.Fields.SubscriptionExpiration);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero), fromBoth.Fields.SubscriptionExpiration);
    }

    private static ChangeNotification? SdkParse(string item)
    {
        try
        {
            return new JsonParseNode(Element(item)).GetObjectValue(ChangeNotification.CreateFromDiscriminatorValue);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or JsonException or OverflowException)
        {
            return null;
        }
    }

    private static JsonElement Element(string item)
    {
        using var document = JsonDocument.Parse(item);
        return document.RootElement.Clone();
    }

    /// <summary>The item with <paramref name="field"/> added last (where the item has it already: a repeated property).</summary>
    private static string With(string item, string field, string value) =>
        string.Concat(item.AsSpan(0, item.LastIndexOf('}')), $", \"{field}\": {value} }}");

    private static bool Distinguishable(DedupKeyFields fields) =>
        fields.LifecycleEvent is not null || !string.IsNullOrEmpty(fields.Id) || !string.IsNullOrEmpty(fields.ResourceId)
        || !string.IsNullOrEmpty(fields.ETag) || !string.IsNullOrEmpty(fields.EncryptedSignature);

    /// <summary>The key as stored since the inbox began: base64url of SHA-256 over the '|'-joined fields of the SDK model.</summary>
    private static string ReferenceKey(ChangeNotification notification)
    {
        var data = notification.ResourceData?.AdditionalData;
        var resourceId = data is not null && data.TryGetValue("id", out var id) ? id?.ToString() : null;
        var etag = data is not null && data.TryGetValue("@odata.etag", out var tag) ? tag?.ToString() : null;
        var text = new StringBuilder()
            .Append(notification.SubscriptionId).Append('|')
            .Append(notification.ChangeType).Append('|')
            .Append(notification.LifecycleEvent).Append('|')
            .Append(notification.Resource).Append('|')
            .Append(notification.Id).Append('|')
            .Append(resourceId).Append('|')
            .Append(etag).Append('|')
            .Append(notification.EncryptedContent?.DataSignature);
        if (notification.LifecycleEvent is not null)
        {
            text.Append('|').Append(notification.SubscriptionExpirationDateTime?.ToUnixTimeMilliseconds());
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static string RichItem()
    {
        using var certificate = TestCertificates.Create("reader");
        var content = GraphEncryption.Encrypt("{\"id\":\"1\",\"body\":{\"content\":\"hi\"}}", certificate, "cert-1");
        return With(Payloads.Item(Subscription), "encryptedContent", content.ToJson());
    }

    /// <summary>An item as the emulator's NotificationFactory writes it (a JsonObject serialised by System.Text.Json).</summary>
    private static string EmulatorShaped(string resource, string odataType, string? resourceId, string? etag)
    {
        var resourceData = new JsonObject { ["@odata.type"] = odataType, ["@odata.id"] = resource };
        if (etag is not null)
        {
            resourceData["@odata.etag"] = etag;
        }

        if (resourceId is not null)
        {
            resourceData["id"] = resourceId;
        }

        return new JsonObject
        {
            ["subscriptionId"] = Subscription.GraphId.ToString(),
            ["subscriptionExpirationDateTime"] = Subscription.ExpiresAt?.ToString("yyyy-MM-ddTHH:mm:ss.fffffffK", CultureInfo.InvariantCulture),
            ["tenantId"] = Payloads.TenantId,
            ["clientState"] = Subscription.ClientState,
            ["id"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)),
            ["changeType"] = "updated",
            ["resource"] = resource,
            ["resourceData"] = resourceData,
        }.ToJsonString();
    }
}
