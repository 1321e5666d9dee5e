using System.Diagnostics.Metrics;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Telemetry;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ChangeNotifications.Tests.Telemetry;

/// <summary>Renewals, time to expiry and the reconciler's heartbeat, against the emulator.</summary>
public sealed class SubscriptionMetricsTests
{
    private static readonly string Messages = $"/users/{GraphEmulator.Tenant.SeedIds.UserId}/messages";

    [Fact]
    public async Task Renewals_time_to_expiry_and_the_heartbeat_follow_the_reconciler()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);
        var meters = harness.Services.GetRequiredService<IMeterFactory>();
        using var renewals = new MetricCollector<long>(meters, ServiceMeter.Name, "changenotifications.subscription.renewals");
        using var expiresIn = new MetricCollector<double>(meters, ServiceMeter.Name, "changenotifications.subscription.expires_in");
        var heartbeat = harness.Services.GetRequiredService<ReconcilerHeartbeat>();
        Assert.Null(heartbeat.Last);

        await harness.TickAsync();
        Assert.True(heartbeat.Last?.Leading);
        Assert.Equal(harness.Time.GetUtcNow(), heartbeat.Last?.At);
        expiresIn.RecordObservableInstruments();
        var fresh = Assert.Single(expiresIn.GetMeasurementSnapshot());
        Assert.Equal((await harness.RecordAsync(Messages)).Key, fresh.Tags["subscription"]);
        Assert.InRange(fresh.Value, TimeSpan.FromMinutes(10_000).TotalSeconds, TimeSpan.FromMinutes(10_080).TotalSeconds);

        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(10_080 * 0.6));

        Assert.Equal("succeeded", Assert.Single(renewals.GetMeasurementSnapshot()).Tags["outcome"]);
    }
}
