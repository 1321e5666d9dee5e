using System.Net;
using System.Text.Json;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Notifications;

/// <summary>A stored item is parsed once, when it is claimed; its dedup key, the processor and its handler use that parse.</summary>
public sealed class StoredNotificationTests : IDisposable
{
    private const string User = "5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d";
    private readonly RecordingHandler _handler = new(ResourceType.Message);
    private readonly ServiceFactory _service;

    public StoredNotificationTests() => _service = new ServiceFactory().WithHandler(_handler);

    public void Dispose() => _service.Dispose();

    [Fact]
    public async Task A_claimed_item_is_parsed_once_for_its_dedup_key_and_its_handler()
    {
        var sub = _service.Subscriptions.Add($"/users/{User}/messages");
        // No id and no etag: its key ends in a new GUID each time one is computed, so an equal key means the same parse.
        var item = $$"""
            {"subscriptionId":"{{sub.GraphId}}","clientState":"{{sub.ClientState}}","changeType":"updated",
             "resource":"Users/{{User}}/Messages/AAMkAGI1","tenantId":"{{Payloads.TenantId}}",
             "resourceData":{"@odata.type":"#Microsoft.Graph.Message"} }
            """;
        var response = await _service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(item)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var claimed = Assert.Single(await _service.Inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        var parsed = claimed.Parsed;
        Assert.Equal(parsed.DedupKey, claimed.DedupKey);
        Assert.Same(parsed, claimed.Parsed);

        await _service.Services.GetRequiredService<NotificationProcessor>().ProcessAsync(claimed, default);

        var context = Assert.Single(_handler.Handled);
        Assert.Same(parsed.Notification, context.Notification);
    }

    [Theory]
    [InlineData("not json", "Stored notification is not valid JSON.")]
    [InlineData("null", "Stored notification is empty.")]
    [InlineData("""{"changeType": 5}""", "Stored notification does not fit Graph's change notification: ")]
    public async Task A_stored_payload_that_cannot_be_parsed_is_dead_lettered_with_the_reason(string payload, string reason)
    {
        var sub = _service.Subscriptions.Add($"/users/{User}/messages");
        await _service.Inbox.AppendAsync([new InboxEntry(null, InboxItemKind.Change, sub.GraphId!.Value, payload, null)], default);

        Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));

        var dead = Assert.Single(await _service.Inbox.ListDeadLettersAsync(10, default));
        Assert.StartsWith(reason, dead.LastError, StringComparison.Ordinal);
        Assert.Empty(_handler.Handled);
        var line = Assert.Single(_service.Logs.GetSnapshot(), r => r.Id.Id == 2003);
        Assert.Equal(dead.LastError, line.GetStructuredStateValue("Reason"));
        Assert.Equal("1", line.GetStructuredStateValue("Attempt"));
    }

    [Fact]
    public void The_key_is_read_before_the_shape_fills_in_what_the_item_left_out()
    {
        var subscriptionId = Guid.NewGuid();
        var payload = $$"""
            {"subscriptionId":"{{subscriptionId:B}}","resource":"drives/b!x/root","resourceData":{"id":"01ABC"},
             "organizationId":"{{Payloads.TenantId}}","expirationDateTime":"2026-11-30T10:00:00Z" }
            """;
        using var document = JsonDocument.Parse(payload);
        Assert.True(NotificationItemReader.TryRead(document.RootElement, out var read));

        var parsed = StoredNotification.Parse(subscriptionId, isChange: true, payload);

        Assert.Null(parsed.Failure);
        Assert.Equal(DedupKey.For(read.Fields), parsed.DedupKey);
        Assert.Equal(ChangeType.Updated, parsed.Notification!.ChangeType);
        Assert.Equal(subscriptionId, parsed.Notification.SubscriptionId);
        Assert.Equal(Guid.Parse(Payloads.TenantId), parsed.Notification.TenantId);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero), parsed.Notification.SubscriptionExpirationDateTime);
    }
}
