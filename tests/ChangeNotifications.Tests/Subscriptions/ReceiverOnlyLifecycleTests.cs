using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>An instance with <c>Subscriptions:Reconcile=false</c> (a receiver only) handles lifecycle events without
/// creating, renewing, reauthorizing or deleting anything in Graph.</summary>
public sealed class ReceiverOnlyLifecycleTests
{
    private static readonly string Messages = $"/users/{GraphEmulator.Tenant.SeedIds.UserId}/messages";

    [Theory]
    [InlineData(LifecycleEventType.SubscriptionRemoved, "subscriptionRemoved")]
    [InlineData(LifecycleEventType.ReauthorizationRequired, "reauthorizationRequired")]
    public async Task With_Reconcile_false_a_lifecycle_event_changes_nothing_in_Graph_and_is_logged(LifecycleEventType lifecycleEvent, string name)
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created,updated,deleted")]);
        await harness.TickAsync();
        var record = await harness.RecordAsync(Messages);
        var graphId = record.GraphId!.Value;
        await harness.RestartAsync(s => s["Subscriptions:Reconcile"] = "false");
        if (lifecycleEvent == LifecycleEventType.SubscriptionRemoved)
        {
            harness.Emulator.Control.DeleteSubscriptionSilently(graphId);
        }

        // Past the renewal point: a reconciling instance would renew (PATCH) on reauthorizationRequired.
        harness.Time.Advance(TimeSpan.FromDays(4));
        var before = InGraph(harness);

        await harness.LifecycleAsync(graphId, lifecycleEvent);

        Assert.Equal(before, InGraph(harness));
        var after = await harness.RecordAsync(Messages);
        Assert.Equal((record.GraphId, record.ClientState, record.ExpiresAt), (after.GraphId, after.ClientState, after.ExpiresAt));
        var line = Assert.Single(harness.LogsWithId(SubscriptionLog.LeftToReconcilingInstanceId));
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Equal(name, line.Property("LifecycleEvent"));
        Assert.Equal(graphId.ToString(), line.Property("GraphId"));
        Assert.Equal(record.Key, line.Property("Key"));
        Assert.DoesNotContain(record.ClientState!, line.Message, StringComparison.Ordinal);
        foreach (var id in new[] { SubscriptionLog.CreatedId, SubscriptionLog.RecreatedId, SubscriptionLog.RenewedId, SubscriptionLog.ReauthorizedId, SubscriptionLog.OperationFailedId })
        {
            Assert.Empty(harness.LogsWithId(id));
        }
    }

    private static List<(Guid Id, DateTimeOffset Expires)> InGraph(SubscriptionHarness harness) =>
        [.. harness.Emulator.Control.Subscriptions.Select(s => (s.Id, s.ExpirationDateTime)).OrderBy(s => s.Id)];
}
