using ChangeNotifications.Subscriptions;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>What the reconciler intends is on the stored record, so a new process picks it up where the last one stopped.</summary>
public sealed class ReconcileIntentionTests
{
    private static readonly string Messages = $"/users/{GraphEmulator.Tenant.SeedIds.UserId}/messages";

    [Fact]
    public async Task A_failures_backoff_is_waited_out_after_a_restart()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        harness.Emulator.Control.FailNextRequests(2, 503); // the list and the create
        await harness.TickAsync();
        var retryAt = (await harness.RecordAsync(Messages)).NextAttemptAt;
        Assert.NotNull(retryAt);

        await harness.RestartAsync();
        await harness.TickAsync();

        Assert.Empty(harness.Emulator.Control.Subscriptions);
        Assert.Empty(harness.LogsWithId(SubscriptionLog.CreatedId));
        Assert.Equal(1, (await harness.RecordAsync(Messages)).ConsecutiveFailures);
        Assert.Equal(SubscriptionState.Failing, Assert.Single(harness.Health.Snapshot()).State);

        harness.Time.Advance(retryAt.Value - harness.Time.GetUtcNow());
        await harness.TickAsync();

        Assert.Single(harness.Emulator.Control.Subscriptions);
        Assert.Null((await harness.RecordAsync(Messages)).NextAttemptAt);
    }

    [Fact]
    public async Task A_recreation_under_way_is_finished_as_a_recreation_after_a_restart()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        await harness.TickAsync();
        var first = await harness.RecordAsync(Messages);
        harness.Emulator.Control.DeleteSubscriptionSilently(first.GraphId!.Value);
        harness.Emulator.Control.FailNextRequests(2, 503); // the housekeeping DELETE and the create

        await harness.LifecycleAsync(first.GraphId.Value, LifecycleEventType.SubscriptionRemoved);
        var pending = await harness.RecordAsync(Messages);
        Assert.Equal(first.GraphId, pending.RecreatingGraphId);
        Assert.NotNull(pending.RecreateReason);

        await harness.RestartAsync();
        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(5));

        var recreated = Assert.Single(harness.LogsWithId(SubscriptionLog.RecreatedId));
        Assert.Equal(first.GraphId.ToString(), recreated.Property("OldGraphId"));
        Assert.Empty(harness.LogsWithId(SubscriptionLog.CreatedId));
        var record = await harness.RecordAsync(Messages);
        Assert.Null(record.RecreateReason);
        Assert.Null(record.RecreatingGraphId);
        Assert.Equal(Assert.Single(harness.Emulator.Control.Subscriptions).Id, record.GraphId);
    }
}
