using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>The reconciler and lifecycle handling against the emulator, time driven by one FakeTimeProvider.</summary>
public sealed class SubscriptionReconcilerTests
{
    private static readonly string Messages = $"/users/{GraphEmulator.Tenant.SeedIds.UserId}/messages";
    private static readonly string Events = $"/users/{GraphEmulator.Tenant.SeedIds.UserId}/events";
    private static readonly string Users = "/users";

    [Fact]
    public async Task Missing_subscription_is_created_with_lifecycle_url_and_its_own_client_state()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created,updated"), (Users, "updated")]);

        await harness.TickAsync();

        var live = harness.Emulator.Control.Subscriptions;
        Assert.Equal(2, live.Count);
        Assert.All(live, s => Assert.Equal(harness.Receiver.UrlFor("/api/lifecycle"), s.LifecycleNotificationUrl));
        var records = await harness.Store.ListAsync(CancellationToken.None);
        Assert.All(records, r => Assert.Equal(live.Single(s => s.Id == r.GraphId).ClientState, r.ClientState));
        Assert.NotEqual(records[0].ClientState, records[1].ClientState);
        Assert.All(harness.Logs.GetSnapshot(), log => Assert.All(records, r => Assert.DoesNotContain(r.ClientState, log.Message, StringComparison.Ordinal)));
        var created = harness.LogsWithId(SubscriptionLog.CreatedId);
        Assert.Equal(2, created.Count);
        Assert.Contains(created, c => c.Property("Resource") == Messages && c.Property("GraphId") == records.Single(r => r.Resource == Messages).GraphId.ToString());
    }

    [Fact]
    public async Task A_404_on_renewal_recreates_the_subscription()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        await harness.TickAsync();
        var first = await harness.RecordAsync(Messages);
        harness.Emulator.Control.DeleteSubscriptionSilently(first.GraphId!.Value);

        // Renewal due (just past half of 10,080 minutes); the list fails once, so the reconciler only learns of the loss from the PATCH.
        harness.Time.Advance(TimeSpan.FromMinutes(10_080 * 0.6));
        harness.Emulator.Control.FailNextRequests(1, 503);
        await harness.TickAsync();

        var recreated = Assert.Single(harness.LogsWithId(SubscriptionLog.RecreatedId));
        Assert.Equal("renewal answered 404", recreated.Property("Reason"));
        Assert.Equal(first.GraphId.ToString(), recreated.Property("OldGraphId"));
        var now = await harness.RecordAsync(Messages);
        Assert.NotEqual(first.GraphId, now.GraphId);
        Assert.NotEqual(first.ClientState, now.ClientState);
        Assert.Equal(now.GraphId, Assert.Single(harness.Emulator.Control.Subscriptions).Id);
    }

    [Fact]
    public async Task A_subscription_gone_from_graph_is_recreated_on_the_next_reconcile()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        await harness.TickAsync();
        var first = await harness.RecordAsync(Messages);
        harness.Emulator.Control.DeleteSubscriptionSilently(first.GraphId!.Value);

        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(15));

        Assert.Equal("it is no longer in Graph", Assert.Single(harness.LogsWithId(SubscriptionLog.RecreatedId)).Property("Reason"));
        Assert.Equal((await harness.RecordAsync(Messages)).GraphId, Assert.Single(harness.Emulator.Control.Subscriptions).Id);
    }

    [Theory]
    [InlineData(false, "it is no longer in Graph")]
    [InlineData(true, "it was found expired")]
    public async Task A_service_down_past_expiry_recreates_on_restart(bool listFails, string reason)
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        await harness.TickAsync();
        var first = await harness.RecordAsync(Messages);

        await harness.RestartAsync();
        harness.Time.Advance(TimeSpan.FromDays(8)); // down for longer than the 7-day maximum
        if (listFails)
        {
            harness.Emulator.Control.FailNextRequests(1, 503);
        }

        await harness.TickAsync();

        Assert.Equal(reason, Assert.Single(harness.LogsWithId(SubscriptionLog.RecreatedId)).Property("Reason"));
        var now = await harness.RecordAsync(Messages);
        Assert.NotEqual(first.GraphId, now.GraphId);
        Assert.True(now.ExpiresAt > harness.Time.GetUtcNow().AddDays(6));
        Assert.Equal(now.GraphId, Assert.Single(harness.Emulator.Control.Subscriptions).Id);
    }

    [Fact]
    public async Task SubscriptionRemoved_recreates_retrying_until_graph_answers_then_requests_a_resync()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created,updated,deleted")]);
        await harness.TickAsync();
        var first = await harness.RecordAsync(Messages);
        harness.Emulator.Control.DeleteSubscriptionSilently(first.GraphId!.Value);
        harness.Emulator.Control.FailNextRequests(2, 503); // the housekeeping DELETE and the first create fail

        await harness.LifecycleAsync(first.GraphId.Value, LifecycleEventType.SubscriptionRemoved);
        Assert.Empty(harness.Emulator.Control.Subscriptions);
        Assert.Empty(harness.Resyncs.Resyncs);
        Assert.Equal("subscriptionRemoved", (await harness.RecordAsync(Messages)).PendingResyncReason);

        for (var i = 0; i < 5 && harness.Emulator.Control.Subscriptions.Count == 0; i++)
        {
            await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(5));
        }

        var recreated = await harness.RecordAsync(Messages);
        Assert.Equal(recreated.GraphId, Assert.Single(harness.Emulator.Control.Subscriptions).Id);
        Assert.Null(recreated.PendingResyncReason);
        var resync = Assert.Single(harness.Resyncs.Resyncs);
        Assert.Equal("subscriptionRemoved", resync.Reason);
        Assert.Equal(ResourceType.Message, resync.ResourceType);
        Assert.Equal(recreated.GraphId, resync.Subscription.GraphId);
        Assert.Contains(harness.LogsWithId(SubscriptionLog.RecreatedId), r => r.Property("Reason")!.Contains("subscriptionRemoved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missed_requests_a_resync_and_a_type_without_handler_is_logged()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created"), (Users, "updated")]);
        await harness.TickAsync();

        await harness.LifecycleAsync((await harness.RecordAsync(Messages)).GraphId!.Value, LifecycleEventType.Missed);
        await harness.LifecycleAsync((await harness.RecordAsync(Users)).GraphId!.Value, LifecycleEventType.Missed);

        Assert.Equal("missed", Assert.Single(harness.Resyncs.Resyncs).Reason);
        var noHandler = Assert.Single(harness.LogsWithId(SubscriptionLog.NoResyncHandlerId));
        Assert.Equal(nameof(ResourceType.User), noHandler.Property("ResourceType"));
    }

    [Fact]
    public async Task ReauthorizationRequired_reauthorizes_and_not_again_within_ten_minutes()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        await harness.TickAsync();
        var record = await harness.RecordAsync(Messages);
        var id = record.GraphId!.Value;
        harness.Time.Advance(TimeSpan.FromMinutes(50));
        var tokenBefore = harness.Emulator.Control.Subscriptions.Single().EndpointTokenExpiresAt;

        await harness.LifecycleAsync(id, LifecycleEventType.ReauthorizationRequired);

        var reauthorizedAt = harness.Time.GetUtcNow();
        Assert.Equal(reauthorizedAt, (await harness.RecordAsync(Messages)).LastReauthorizedAt);
        Assert.Equal("reauthorize", Assert.Single(harness.LogsWithId(SubscriptionLog.ReauthorizedId)).Property("How"));
        var tokenAfter = harness.Emulator.Control.Subscriptions.Single().EndpointTokenExpiresAt;
        Assert.True(tokenAfter > tokenBefore, "the emulator saw the reauthorize");
        Assert.Equal(record.ExpiresAt, harness.Emulator.Control.Subscriptions.Single().ExpirationDateTime);

        harness.Time.Advance(TimeSpan.FromMinutes(6));
        await harness.LifecycleAsync(id, LifecycleEventType.ReauthorizationRequired);

        Assert.Single(harness.LogsWithId(SubscriptionLog.ReauthorizedId));
        Assert.Single(harness.LogsWithId(SubscriptionLog.ReauthorizationSkippedId));
        Assert.Equal(reauthorizedAt, (await harness.RecordAsync(Messages)).LastReauthorizedAt);
        Assert.Equal(tokenAfter, harness.Emulator.Control.Subscriptions.Single().EndpointTokenExpiresAt);

        harness.Time.Advance(TimeSpan.FromMinutes(5));
        await harness.LifecycleAsync(id, LifecycleEventType.ReauthorizationRequired);
        Assert.Equal(2, harness.LogsWithId(SubscriptionLog.ReauthorizedId).Count);
    }

    [Fact]
    public async Task ReauthorizationRequired_when_renewal_is_due_renews_and_a_renewal_waits_ten_minutes_after_a_reauthorize()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created"), (Events, "created")]);
        await harness.TickAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(10_080 * 0.56));
        var messages = await harness.RecordAsync(Messages);

        // Renewal due anyway: the PATCH reauthorizes too.
        await harness.LifecycleAsync(messages.GraphId!.Value, LifecycleEventType.ReauthorizationRequired);
        var renewed = await harness.RecordAsync(Messages);
        Assert.Equal(harness.Time.GetUtcNow(), renewed.LastRenewedAt);
        Assert.Null(renewed.LastReauthorizedAt);
        Assert.True(renewed.ExpiresAt > messages.ExpiresAt);

        // Reauthorize shortly before renewal is due (further off than the reconcile interval, so no PATCH yet):
        // the renewal that falls due then must wait until 10 minutes have passed since the reauthorize.
        await using var other = await SubscriptionHarness.StartAsync([(Events, "created")], s =>
        {
            s["Subscriptions:RenewJitterFraction"] = "0";
            s["Subscriptions:ReconcileInterval"] = "00:05:00";
        });
        await other.TickAsync();
        var events = await other.RecordAsync(Events);
        var due = events.ExpiresAt!.Value - TimeSpan.FromMinutes(10_080 * 0.5);
        other.Time.Advance(due - TimeSpan.FromMinutes(8) - other.Time.GetUtcNow());
        await other.LifecycleAsync(events.GraphId!.Value, LifecycleEventType.ReauthorizationRequired);
        Assert.Equal(other.Time.GetUtcNow(), (await other.RecordAsync(Events)).LastReauthorizedAt);

        await other.AdvanceAndTickAsync(TimeSpan.FromMinutes(8.5)); // renewal due, but only 8.5 minutes after the reauthorize
        Assert.Null((await other.RecordAsync(Events)).LastRenewedAt);
        Assert.Single(other.LogsWithId(SubscriptionLog.RenewalDeferredId));

        await other.AdvanceAndTickAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(other.Time.GetUtcNow(), (await other.RecordAsync(Events)).LastRenewedAt);
    }

    [Fact]
    public async Task Throttled_create_waits_out_retry_after()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        harness.Emulator.Control.ThrottleNextRequests(2, TimeSpan.FromMinutes(5)); // the list, then the create

        await harness.TickAsync();

        var failed = Assert.Single(harness.LogsWithId(SubscriptionLog.OperationFailedId));
        Assert.StartsWith("429", failed.Property("Reason"), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.Parse(failed.Property("RetryAt")!, System.Globalization.CultureInfo.InvariantCulture) >= SubscriptionHarness.Start.AddMinutes(5));
        Assert.Equal(SubscriptionState.Failing, Assert.Single(harness.Health.Snapshot()).State);

        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(4.5));
        Assert.Empty(harness.Emulator.Control.Subscriptions);

        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(1.5));
        Assert.Single(harness.Emulator.Control.Subscriptions);
        Assert.Equal(SubscriptionState.Active, Assert.Single(harness.Health.Snapshot()).State);
    }

    [Fact]
    public async Task Renewal_answered_503_with_retry_after_waits_it_out_while_the_subscription_stays_alive()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        await harness.TickAsync();
        var created = await harness.RecordAsync(Messages);
        harness.Time.Advance(TimeSpan.FromMinutes(10_080 * 0.6));
        harness.Emulator.Control.FailNextRequests(2, 503, TimeSpan.FromMinutes(10)); // the list, then the PATCH

        await harness.TickAsync();

        var failed = Assert.Single(harness.LogsWithId(SubscriptionLog.OperationFailedId));
        Assert.Equal("Renew", failed.Property("Operation"));
        Assert.StartsWith("503", failed.Property("Reason"), StringComparison.Ordinal);
        Assert.Null((await harness.RecordAsync(Messages)).LastRenewedAt);

        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(9));
        Assert.Null((await harness.RecordAsync(Messages)).LastRenewedAt);
        Assert.Equal(created.ExpiresAt, Assert.Single(harness.Emulator.Control.Subscriptions).ExpirationDateTime);

        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(3));
        var renewed = await harness.RecordAsync(Messages);
        Assert.Equal(harness.Time.GetUtcNow(), renewed.LastRenewedAt);
        Assert.Equal(created.GraphId, renewed.GraphId);
        Assert.Equal(0, renewed.ConsecutiveFailures);
    }

    [Fact]
    public async Task A_subscription_that_keeps_failing_is_reported_with_its_reason_while_the_others_carry_on()
    {
        // Rich notifications with no encryption certificate configured: every create attempt fails before reaching Graph.
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created"), (Users, "updated")], s =>
            s["Subscriptions:Items:0:IncludeResourceData"] = "true");

        await harness.TickAsync();
        for (var i = 1; i < SubscriptionReconciler.KeepsFailingThreshold; i++)
        {
            await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(31)); // past the longest backoff
        }

        var error = Assert.Single(harness.LogsWithId(SubscriptionLog.KeepsFailingId));
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains("encryption certificate", error.Property("Reason"), StringComparison.Ordinal);
        var failing = harness.Health.Snapshot().Single(s => s.State == SubscriptionState.Failing);
        Assert.StartsWith(Messages, failing.Resource, StringComparison.Ordinal);
        var stored = (await harness.Store.ListAsync(CancellationToken.None)).Single(r => r.Resource.StartsWith(Messages, StringComparison.Ordinal));
        Assert.Null(stored.GraphId);
        Assert.Equal(SubscriptionReconciler.KeepsFailingThreshold, stored.ConsecutiveFailures);
        Assert.StartsWith("Create: ", stored.FailureReason, StringComparison.Ordinal);
        Assert.Equal((await harness.RecordAsync(Users)).GraphId, Assert.Single(harness.Emulator.Control.Subscriptions).Id);
        Assert.Contains(harness.Health.Snapshot(), s => s.Resource == Users && s.State == SubscriptionState.Active);
        var health = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Degraded, health.Entries[SubscriptionsHealthCheck.Name].Status);
        Assert.Contains("encryption certificate", health.Entries[SubscriptionsHealthCheck.Name].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_timeout_on_create_is_retried_and_health_shows_it_meanwhile()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created"), (Users, "updated")]);
        harness.Emulator.Control.TimeOutNextHandshakes(1);

        await harness.TickAsync();

        var failed = Assert.Single(harness.LogsWithId(SubscriptionLog.OperationFailedId));
        Assert.Contains("timed out", failed.Property("Reason"), StringComparison.OrdinalIgnoreCase);
        Assert.Single(harness.Emulator.Control.Subscriptions); // the other one carried on
        var failing = Assert.Single(harness.Health.Snapshot(), s => s.State == SubscriptionState.Failing);
        Assert.Contains("timed out", failing.FailureReason, StringComparison.OrdinalIgnoreCase);
        var health = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Degraded, health.Entries[SubscriptionsHealthCheck.Name].Status);
        Assert.Equal(1, (await harness.RecordAsync(failing.Resource)).ConsecutiveFailures);

        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(2, harness.Emulator.Control.Subscriptions.Count);
        Assert.All(harness.Health.Snapshot(), s => Assert.Equal(SubscriptionState.Active, s.State));
        health = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Healthy, health.Entries[SubscriptionsHealthCheck.Name].Status);
        Assert.All(await harness.Store.ListAsync(CancellationToken.None), r => Assert.Null(r.FailureReason));
    }

    [Fact]
    public async Task Restart_adopts_the_existing_subscriptions_without_creating_new_ones()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created"), (Events, "created"), (Users, "updated")]);
        await harness.TickAsync();
        var before = harness.Emulator.Control.Subscriptions.Select(s => s.Id).Order().ToList();

        await harness.RestartAsync();
        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(1));

        Assert.Empty(harness.LogsWithId(SubscriptionLog.CreatedId));
        Assert.Empty(harness.LogsWithId(SubscriptionLog.RecreatedId));
        Assert.Equal(before, harness.Emulator.Control.Subscriptions.Select(s => s.Id).Order().ToList());
        Assert.Equal(3, harness.Health.Snapshot().Count(s => s.State == SubscriptionState.Active));
        foreach (var id in before)
        {
            Assert.NotNull(await harness.Store.FindByGraphIdAsync(id, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Orphans_matching_desired_state_are_adopted_and_ones_no_longer_desired_deleted()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        // A create Graph completed while we never heard back: the store holds the pending clientState, Graph the subscription.
        var pending = await harness.StorePendingAsync(Messages, "created");
        var orphan = await harness.CreateInGraphAsync(Messages, "created", pending.ClientState);
        var undesired = await harness.CreateInGraphAsync(Events, "created", "x");
        var foreign = await harness.CreateInGraphAsync(Users, "updated", "y", harness.Receiver.UrlFor("/other-app/notifications").ToString());

        await harness.TickAsync();

        Assert.Empty(harness.LogsWithId(SubscriptionLog.CreatedId));
        var adopted = Assert.Single(harness.LogsWithId(SubscriptionLog.AdoptedId));
        Assert.Equal(orphan.Id, adopted.Property("GraphId"));
        Assert.Equal(Guid.Parse(orphan.Id!), (await harness.RecordAsync(Messages)).GraphId);
        Assert.Equal(pending.ClientState, (await harness.RecordAsync(Messages)).ClientState);
        Assert.Equal(undesired.Id, Assert.Single(harness.LogsWithId(SubscriptionLog.DeletedId)).Property("GraphId"));
        var ids = harness.Emulator.Control.Subscriptions.Select(s => s.Id.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { orphan.Id!, foreign.Id! }.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public async Task A_409_on_create_adopts_the_subscription_graph_already_has()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        var pending = await harness.StorePendingAsync(Messages, "created");
        var existing = await harness.CreateInGraphAsync(Messages, "created", pending.ClientState);
        harness.Emulator.Control.FailNextRequests(1, 503); // the list fails, so the reconciler tries to create

        await harness.TickAsync();

        Assert.Equal("409 on create", Assert.Single(harness.LogsWithId(SubscriptionLog.AdoptedId)).Property("How"));
        Assert.Equal(Guid.Parse(existing.Id!), (await harness.RecordAsync(Messages)).GraphId);
        Assert.Single(harness.Emulator.Control.Subscriptions);
    }

    [Fact]
    public async Task A_matching_subscription_whose_client_state_is_unknown_is_replaced()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        var stranger = await harness.CreateInGraphAsync(Messages, "created", "unknown-to-the-store");

        await harness.TickAsync();

        Assert.Equal(stranger.Id, Assert.Single(harness.LogsWithId(SubscriptionLog.OrphanReplacedId)).Property("GraphId"));
        var live = Assert.Single(harness.Emulator.Control.Subscriptions);
        Assert.NotEqual(stranger.Id, live.Id.ToString());
        Assert.Equal((await harness.RecordAsync(Messages)).ClientState, live.ClientState);
    }

    [Fact]
    public async Task A_subscription_removed_from_configuration_is_deleted_from_graph_and_store()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created"), (Users, "updated")]);
        await harness.TickAsync();
        var users = await harness.RecordAsync(Users);

        // Same file, configuration without the second item.
        await harness.RestartAsync(settings =>
        {
            settings.Remove("Subscriptions:Items:1:Resource");
            settings.Remove("Subscriptions:Items:1:ChangeType");
        });
        await harness.TickAsync();

        var deleted = Assert.Single(harness.LogsWithId(SubscriptionLog.DeletedId));
        Assert.Equal(users.GraphId.ToString(), deleted.Property("GraphId"));
        Assert.Equal((await harness.RecordAsync(Messages)).GraphId, Assert.Single(harness.Emulator.Control.Subscriptions).Id);
        Assert.Single(await harness.Store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Hosted_reconciler_creates_on_start_and_renews_when_the_clock_reaches_the_renewal()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")], s => s["Subscriptions:RenewJitterFraction"] = "0");
        var hosted = harness.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<SubscriptionReconciler>().Single();
        using var stop = new CancellationTokenSource();
        await hosted.StartAsync(stop.Token);
        try
        {
            await RealClock.WaitUntilAsync(() => harness.Health.Snapshot() is [{ State: SubscriptionState.Active }]);
            var created = await harness.RecordAsync(Messages);
            Assert.Equal(created.GraphId, Assert.Single(harness.Emulator.Control.Subscriptions).Id);

            // Past the renewal point (half of 10,080 minutes) the loop wakes on the fake clock and renews.
            // The clock keeps moving a minute per poll, so it does not matter whether the loop was already waiting.
            harness.Time.Advance(TimeSpan.FromMinutes(5_041));
            await RealClock.WaitUntilAsync(
                () => harness.LogsWithId(SubscriptionLog.RenewedId).Count == 1,
                () => harness.Time.Advance(TimeSpan.FromMinutes(1)));
            Assert.True(Assert.Single(harness.Emulator.Control.Subscriptions).ExpirationDateTime > created.ExpiresAt);
        }
        finally
        {
            await stop.CancelAsync();
            await hosted.StopAsync(CancellationToken.None);
        }
    }
}
