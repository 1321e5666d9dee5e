using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Handlers;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>
/// Delta-tracked subscriptions (drive, list) get their handler's baseline when the reconciler creates or adopts them,
/// before Graph can notify: the change behind the first notification is reported like every later one.
/// </summary>
public sealed class DeltaBaselineTests
{
    private const string Drive = $"drives/{SeedIds.DriveId}/root";
    private const string List = $"sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}";

    [Fact]
    public async Task A_created_drive_subscription_reports_the_change_behind_its_first_notification()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Drive, "updated")], changeHandlers: true);

        await harness.TickAsync();
        var record = await harness.RecordAsync(Drive);
        Assert.NotNull(record.GraphId);
        var logs = harness.Logs.GetSnapshot().Select(r => r.Id.Id).ToList();
        Assert.True(logs.IndexOf(5001) >= 0 && logs.IndexOf(5001) < logs.IndexOf(SubscriptionLog.CreatedId), "the baseline is taken before the subscription is created");

        var change = harness.Tenant.MakeChange(Drive, "updated")!;
        await harness.HandlerFor(ResourceType.DriveItem).HandleAsync(Handlers.Notifications.ContextFor(change, record), CancellationToken.None);

        var line = Assert.Single(harness.LogsWithId(5161));
        var added = Assert.Single(harness.Tenant.List($"drives/{SeedIds.DriveId}/items")!, i => ((string)i["name"]!).StartsWith("Notes", StringComparison.Ordinal));
        Assert.Equal("created", line.Property("Change"));
        Assert.Equal((string)added["id"]!, line.Property("ItemId"));
        Assert.Equal((string)added["name"]!, line.Property("Name"));
        Assert.Equal(SeedIds.DriveId, line.Property("DriveId"));
        Assert.Single(harness.LogsWithId(5001));
    }

    [Fact]
    public async Task An_adopted_list_subscription_reports_the_change_behind_its_first_notification()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(List, "updated")], changeHandlers: true);
        var pending = await harness.StorePendingAsync(List, "updated");
        await harness.CreateInGraphAsync(List, "updated", pending.ClientState);

        await harness.TickAsync();
        var record = await harness.RecordAsync(List);
        Assert.Single(harness.LogsWithId(SubscriptionLog.AdoptedId));
        Assert.Single(harness.LogsWithId(5001));

        var change = harness.Tenant.MakeChange(List, "updated")!;
        await harness.HandlerFor(ResourceType.List).HandleAsync(Handlers.Notifications.ContextFor(change, record), CancellationToken.None);

        var line = Assert.Single(harness.LogsWithId(5171));
        Assert.Equal("created", line.Property("Change"));
        Assert.StartsWith("Issue ", line.Property("Title"), StringComparison.Ordinal);
        Assert.Equal(SeedIds.ListId, line.Property("ListId"));
    }

    [Fact]
    public async Task A_subscription_whose_baseline_fails_is_not_created_and_is_retried()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Drive, "updated")], changeHandlers: true);
        harness.Emulator.Control.FailNextRequests(2, 500); // GET /subscriptions, then the baseline's delta request

        await harness.TickAsync();

        var record = await harness.RecordAsync(Drive);
        Assert.Null(record.GraphId);
        Assert.StartsWith("Baseline", record.FailureReason, StringComparison.Ordinal);
        Assert.Empty(harness.Emulator.Control.Subscriptions);
    }
}
