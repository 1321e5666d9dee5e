using ChangeNotifications.GraphEmulator.Tenant;

using ChangeNotifications.Tests.EmulatorTenant;

namespace ChangeNotifications.Tests.Handlers;

/// <summary>Delta-tracked types: the stored delta link, its survival across restarts, no replay on first run, paging.</summary>
public sealed class DeltaTests(TenantHost host) : IClassFixture<TenantHost>, IAsyncLifetime
{
    private const string Drive = $"drives/{SeedIds.DriveId}/root";
    private HandlerHarness _h = null!;

    public Task InitializeAsync()
    {
        _h = HandlerHarness.Start(host, deltaPageSize: 2);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task First_run_does_not_replay_the_existing_drive()
    {
        Assert.True(_h.Tenant.List($"drives/{SeedIds.DriveId}/items")!.Count > 3);

        await _h.NotifyAsync(Drive, "updated");

        Assert.Single(_h.Lines(5001));
        Assert.Empty(_h.Lines(5161));
        Assert.NotNull(await _h.DeltaLinks.GetAsync($"DriveItem:{Drive}", CancellationToken.None));
    }

    [Fact]
    public async Task Two_changes_between_notifications_are_both_reported()
    {
        await _h.NotifyAsync(Drive, "updated");
        _h.Tenant.MakeChange(Drive, "updated");

        await _h.NotifyAsync(Drive, "updated");

        var names = _h.Lines(5161).Select(l => l.Prop("Name")).ToList();
        Assert.Equal(2, names.Count);
        Assert.Contains(names, n => n!.StartsWith("Notes", StringComparison.Ordinal));
        Assert.Contains(names, n => n!.StartsWith("Renamed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restart_keeps_the_delta_link_and_reports_what_changed_while_down()
    {
        await _h.NotifyAsync(Drive, "updated");
        var link = await _h.DeltaLinks.GetAsync($"DriveItem:{Drive}", CancellationToken.None);

        await _h.RestartAsync();
        Assert.Equal(link, await _h.DeltaLinks.GetAsync($"DriveItem:{Drive}", CancellationToken.None));
        for (var i = 0; i < 4; i++)
        {
            _h.Tenant.MakeChange(Drive, "updated");
        }

        await _h.NotifyAsync(Drive, "updated");

        Assert.Empty(_h.Lines(5001));
        var lines = _h.Lines(5161);
        Assert.True(lines.Count >= 4, $"expected the changes made while down (across delta pages of 2), got {lines.Count}");
        Assert.Contains(lines, l => l.Prop("Change") == "deleted");
        Assert.NotEqual(link, await _h.DeltaLinks.GetAsync($"DriveItem:{Drive}", CancellationToken.None));
    }

    [Fact]
    public async Task An_expired_drive_delta_link_is_requested_once_then_the_drive_is_enumerated_afresh()
    {
        var items = _h.Tenant.List($"drives/{SeedIds.DriveId}/items")!.Count;
        await _h.NotifyAsync(Drive, "updated");
        var dead = await _h.DeltaLinks.GetAsync($"DriveItem:{Drive}", CancellationToken.None);
        Assert.Equal(1, _h.Host.Control.ExpireDeltaLinks(Drive));

        await _h.NotifyAsync(Drive, "updated");

        var resync = _h.Line(7150);
        Assert.Equal($"DriveItem:{Drive}", resync.Prop("DeltaKey"));
        Assert.Equal("410", resync.Prop("StatusCode"));
        Assert.Equal("resyncRequired", resync.Prop("Reason"));
        Assert.Equal(1, _h.Tenant.RefusedDeltaLinks);
        var names = _h.Lines(5161).Select(l => l.Prop("Name")).ToList();
        Assert.Equal(items + 1, names.Count); // every live item but the root, both Notes files among them
        Assert.Equal(2, names.Count(n => n!.StartsWith("Notes", StringComparison.Ordinal)));
        Assert.NotEqual(dead, await _h.DeltaLinks.GetAsync($"DriveItem:{Drive}", CancellationToken.None));

        await _h.NotifyAsync(Drive, "updated");

        Assert.Equal(1, _h.Tenant.RefusedDeltaLinks);
        Assert.Single(_h.Lines(7150));
        Assert.Equal(items + 2, _h.Lines(5161).Count);
    }

    [Fact]
    public async Task An_expired_list_delta_link_is_requested_once_then_the_list_is_enumerated_afresh()
    {
        var list = $"sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}";
        await _h.NotifyAsync(list, "updated");
        Assert.Equal(1, _h.Host.Control.ExpireDeltaLinks(list));

        await _h.NotifyAsync(list, "updated");

        Assert.Equal("resyncRequired", _h.Line(7150).Prop("Reason"));
        Assert.Equal(1, _h.Tenant.RefusedDeltaLinks);
        Assert.Equal(_h.Tenant.List($"{list}/items")!.Count, _h.Lines(5171).Count);
        Assert.Contains(_h.Lines(5171), l => l.Prop("Title")!.StartsWith("Issue ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delta_links_are_stored_relative_to_the_graph_base_url()
    {
        await _h.NotifyAsync(Drive, "updated");

        var stored = await _h.DeltaLinks.GetAsync($"DriveItem:{Drive}", CancellationToken.None);

        Assert.StartsWith($"drives/{SeedIds.DriveId}/items/", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(_h.Host.BaseUrl, stored, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_notification_with_nothing_new_reports_nothing()
    {
        await _h.NotifyAsync(Drive, "updated");
        var context = Notifications.ContextFor(new EmulatedChange(Drive, "updated", null, "#Microsoft.Graph.DriveItem", null, null, null), HandlerHarness.Subscription(Drive));

        await _h.HandlerFor(context.ResourceType).HandleAsync(context, CancellationToken.None);
        await _h.HandlerFor(context.ResourceType).HandleAsync(context, CancellationToken.None);

        Assert.Single(_h.Lines(5001));
        Assert.Empty(_h.Lines(5161));
    }

    [Fact]
    public async Task Concurrent_notifications_for_one_drive_report_each_change_once()
    {
        await _h.NotifyAsync(Drive, "updated");
        _h.Tenant.MakeChange(Drive, "updated");
        _h.Tenant.MakeChange(Drive, "updated");
        var context = Notifications.ContextFor(new EmulatedChange(Drive, "updated", null, "#Microsoft.Graph.DriveItem", null, null, null), HandlerHarness.Subscription(Drive));
        var handler = _h.HandlerFor(context.ResourceType);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => handler.HandleAsync(context, CancellationToken.None))));

        var ids = _h.Lines(5161).Select(l => l.Prop("ItemId")).ToList();
        Assert.Equal(2, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task Resync_without_a_link_enumerates_once_then_reports_only_changes()
    {
        await _h.ResyncAsync("users", "subscriptionRemoved");
        var all = _h.Lines(5131).Count;
        Assert.Equal(2, all);
        Assert.Equal("2", _h.Line(5004).Prop("ItemCount"));

        _h.Tenant.MakeChange("users", "updated");
        await _h.ResyncAsync("users");

        Assert.Equal(all + 1, _h.Lines(5131).Count);
        Assert.Equal("delta", _h.Lines(5131)[^1].Prop("ChangeType"));
    }

    [Fact]
    public async Task Resync_of_a_drive_without_a_link_enumerates_it_once_then_only_changes()
    {
        var items = _h.Tenant.List($"drives/{SeedIds.DriveId}/items")!.Count;

        await _h.ResyncAsync(Drive, "subscriptionRemoved");
        Assert.Equal(items - 1, _h.Lines(5161).Count);
        _h.Tenant.MakeChange(Drive, "updated");
        await _h.ResyncAsync(Drive);

        Assert.Equal(items, _h.Lines(5161).Count);
        Assert.Equal(["3", "1"], _h.Lines(5004).Select(l => l.Prop("ItemCount")));
    }

    [Fact]
    public async Task Resync_of_a_list_enumerates_it_once_then_only_changes()
    {
        var list = $"sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}";
        await _h.ResyncAsync(list, "subscriptionRemoved");
        var first = _h.Lines(5171).Count;
        Assert.True(first >= 1, "the first resync logs the list's items");

        _h.Tenant.MakeChange(list, "updated");
        await _h.ResyncAsync(list);

        Assert.Equal(first + 1, _h.Lines(5171).Count);
        Assert.NotNull(await _h.DeltaLinks.GetAsync($"List:{list}", CancellationToken.None));
    }

    [Fact]
    public async Task Resync_of_groups_uses_group_delta()
    {
        await _h.ResyncAsync("groups");
        Assert.Equal("Project Falcon", _h.Line(5141).Prop("DisplayName"));

        _h.Tenant.MakeChange("groups", "updated");
        await _h.ResyncAsync("groups");

        Assert.Contains("revision", _h.Lines(5141)[^1].Prop("Description"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resync_of_an_inbox_subscription_uses_message_delta()
    {
        var inbox = $"users/{SeedIds.UserId}/mailFolders('inbox')/messages";
        await _h.ResyncAsync(inbox);
        Assert.Equal(2, _h.Lines(5101).Count);

        _h.Tenant.MakeChange(inbox, "created");
        _h.Tenant.MakeChange(inbox, "deleted");
        _h.Tenant.MakeChange(inbox, "created");
        await _h.ResyncAsync(inbox);

        var latest = _h.Lines(5101).Skip(2).ToList();
        Assert.Equal(2, latest.Count);
        Assert.Contains(latest, l => l.Prop("ChangeType") == "deleted");
        Assert.Contains(latest, l => l.Prop("ChangeType") == "resync" && l.Prop("Subject")!.StartsWith("Emulated message", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData($"users/{SeedIds.UserId}/events", 5111)]
    [InlineData($"users/{SeedIds.UserId}/contacts", 5121)]
    [InlineData($"groups/{SeedIds.GroupId}/conversations", 5151)]
    [InlineData("security/alerts", 5181)]
    [InlineData("communications/callRecords", 5191)]
    [InlineData($"chats/{SeedIds.ChatId}/messages", 5201)]
    [InlineData($"print/printers/{SeedIds.PrinterId}/jobs", 5211)]
    [InlineData($"sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}", 5171)]
    public async Task List_based_resync_logs_each_item_found(string resource, int eventId)
    {
        await _h.ResyncAsync(resource);

        var found = _h.Lines(eventId).Count;
        Assert.True(found >= 1, $"no item logged for {resource}");
        Assert.Equal(found.ToString(System.Globalization.CultureInfo.InvariantCulture), _h.Line(5004).Prop("ItemCount"));
    }

    [Fact]
    public async Task Resync_of_print_tasks_completes_the_open_ones()
    {
        var resource = $"print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks";
        var change = _h.Tenant.MakeChange(resource, "created")!;

        await _h.ResyncAsync(resource);

        Assert.Equal(change.ResourceId, _h.Line(5221).Prop("TaskId"));
        Assert.Equal("completed", (string?)_h.Tenant.Find(change.Resource)!["status"]!["state"]);
    }
}
