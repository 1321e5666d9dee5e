using System.Net;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Inbox;
using ChangeNotifications.Receiving;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Handlers;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>
/// Items in the shapes Graph and its older OneDrive and SharePoint webhook paths really send (the examples of their
/// documentation, with this test's subscription id and clientState), posted to the service's endpoint and handled by
/// its real handlers over the real GraphServiceClient against the built-in emulator: each is stored, then handled.
/// </summary>
public sealed class ItemShapeTests : IDisposable
{
    private const string Tenant = "7e1f2c3a-0b4d-4e5f-8a9b-1c2d3e4f5a6b";
    private readonly ServiceFactory _service = new ServiceFactory().WithSetting("Graph:Mode", "Emulator");

    public void Dispose() => _service.Dispose();

    private IEmulatedTenant Emulated => _service.Services.GetRequiredService<IEmulatedTenant>();

    [Fact]
    public async Task OneDrive_personal_items_without_changeType_with_upper_case_id_and_me_or_relative_drive_are_stored_and_handled_by_delta()
    {
        var sub = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/drive/root", "updated");
        // OneDrive's "using webhooks" example: upper-case id, expirationDateTime, /me/drive/root, no changeType, no tenantId.
        var documented = $$"""
            {
              "subscriptionId": "{{sub.GraphId.ToString()!.ToUpperInvariant()}}",
              "expirationDateTime": "2017-02-22T16:00:00Z",
              "resource": "/me/drive/root",
              "clientState": "{{sub.ClientState}}"
            }
            """;
        // The webhookNotification resource's example: a relative /drive/root, no expiration at all.
        var relative = $$"""{ "subscriptionId": "{{sub.GraphId}}", "resource": "/drive/root", "changeType": "updated", "clientState": "{{sub.ClientState}}" }""";

        await PostAndDispatchAsync(2, documented, relative);
        Emulated.MakeChange(sub.Resource, "updated");
        var before = Lines(5161).Count;
        await PostAndDispatchAsync(1, documented);

        Assert.True(Lines(5161).Count > before, "The drive change behind the notification was not logged.");
        var handled = Lines(2010);
        Assert.Equal(3, handled.Count);
        Assert.All(handled, line =>
        {
            Assert.Equal("DriveItem", line.Prop("ResourceType"));
            Assert.Equal("updated", line.Prop("ChangeType"));
            Assert.Equal(sub.GraphId.ToString(), line.Prop("SubscriptionId"));
        });
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 0, Done: 3, Dead: 0), await _service.Inbox.CountAsync(default));
    }

    [Fact]
    public async Task OneDrive_for_Business_item_with_organizationId_and_a_braced_id_is_stored_and_read_with_the_tenant()
    {
        var sub = _service.Subscriptions.Add($"/drives/{SeedIds.DriveId}/root", "updated");
        var item = $$"""
            {
              "subscriptionId": "{{sub.GraphId:B}}",
              "expirationDateTime": "2026-12-30T16:00:00Z",
              "resource": "drives/{{SeedIds.DriveId}}/root",
              "organizationId": "{{Tenant}}",
              "clientState": "{{sub.ClientState}}"
            }
            """;

        await PostAndDispatchAsync(1, item);

        var handled = Assert.Single(Lines(2010));
        Assert.Equal("DriveItem", handled.Prop("ResourceType"));
        Assert.Equal(Tenant, handled.Prop("TenantId"));
        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Done);
    }

    [Fact]
    public async Task SharePoint_list_webhook_item_with_a_bare_list_id_siteUrl_and_webId_is_stored_and_handled_by_delta()
    {
        var sub = _service.Subscriptions.Add($"/sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}", "updated");
        // SharePoint's list webhook example: no changeType, the list's GUID as resource, a zero tenantId, siteUrl, webId.
        var documented = $$"""
            {
              "subscriptionId": "{{sub.GraphId}}",
              "clientState": "{{sub.ClientState}}",
              "expirationDateTime": "2016-04-30T17:27:00.0000000Z",
              "resource": "{{SeedIds.ListId.ToUpperInvariant()}}",
              "tenantId": "00000000-0000-0000-0000-000000000000",
              "siteUrl": "/",
              "webId": "dbc5a806-e4d4-46e5-951c-6344d70b62fa"
            }
            """;

        await PostAndDispatchAsync(1, documented);
        Emulated.MakeChange(sub.Resource, "updated");
        var before = Lines(5171).Count;
        await PostAndDispatchAsync(1, documented);

        Assert.True(Lines(5171).Count > before, "The list change behind the notification was not logged.");
        Assert.All(Lines(2010), line => Assert.Equal("List", line.Prop("ResourceType")));
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 0, Done: 2, Dead: 0), await _service.Inbox.CountAsync(default));
    }

    [Fact]
    public async Task Message_item_with_an_empty_tenantId_and_an_upper_case_id_is_stored_and_fetched()
    {
        var sub = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages");
        var change = Emulated.MakeChange(sub.Resource, "created")!;
        var item = $$"""
            {
              "subscriptionId": "{{sub.GraphId.ToString()!.ToUpperInvariant()}}",
              "subscriptionExpirationDateTime": "2026-12-30T16:00:00Z",
              "changeType": "created",
              "resource": "{{change.Resource}}",
              "tenantId": "",
              "clientState": "{{sub.ClientState}}",
              "resourceData": { "@odata.type": "{{change.ODataType}}", "@odata.id": "{{change.ODataId}}", "id": "{{change.ResourceId}}" }
            }
            """;

        await PostAndDispatchAsync(1, item);

        Assert.Equal(change.ResourceId, Assert.Single(Lines(5101)).Prop("MessageId"));
        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Done);
    }

    [Fact]
    public async Task A_wrong_clientState_or_an_unknown_id_is_still_dropped_whatever_its_shape()
    {
        var sub = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/drive/root", "updated");
        var forged = $$"""{ "subscriptionId": "{{sub.GraphId}}", "resource": "/me/drive/root", "clientState": "forged" }""";
        var stranger = $$"""{ "subscriptionId": "101010111", "resource": "/me/drive/root", "clientState": "{{sub.ClientState}}" }""";

        var response = await _service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(forged, stranger)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(0, (await _service.Inbox.CountAsync(default)).Total);
        Assert.Equal(
            [nameof(DropReason.ClientStateMismatch), nameof(DropReason.InvalidItem)],
            _service.Logs.GetSnapshot().Where(r => r.Id.Id == 1011).Select(r => r.Prop("Reason")));
    }

    private async Task PostAndDispatchAsync(int items, params string[] body)
    {
        var response = await _service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(body)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(items.ToString(System.Globalization.CultureInfo.InvariantCulture), _service.Logs.GetSnapshot().Last(r => r.Id.Id == 1010).Prop("Stored"));
        Assert.Equal(items, await _service.Dispatcher.RunOnceAsync(default));
    }

    private List<FakeLogRecord> Lines(int eventId) => _service.Logs.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();
}
