using ChangeNotifications.Health;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Health;

/// <summary>The <c>renewer</c> check over the reconciler's heartbeat, its clock moved by hand.</summary>
public sealed class RenewerHealthCheckTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
    private readonly ReconcilerHeartbeat _heartbeat;

    public RenewerHealthCheckTests() => _heartbeat = new ReconcilerHeartbeat(_time);

    private async Task<HealthCheckResult> CheckAsync(bool reconcile = true) =>
        await new RenewerHealthCheck(
            _heartbeat,
            Options.Create(new SubscriptionsOptions { Reconcile = reconcile, ReconcileInterval = TimeSpan.FromMinutes(15) }),
            Options.Create(new HealthOptions { RenewerGrace = TimeSpan.FromMinutes(5) }),
            _time).CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task Healthy_before_the_first_round_until_the_limit_then_degraded()
    {
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        _time.Advance(TimeSpan.FromMinutes(21));

        var late = await CheckAsync();
        Assert.Equal(HealthStatus.Degraded, late.Status);
        Assert.Contains("No reconcile round has ended", late.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_round_led_or_followed_keeps_it_healthy_until_it_is_older_than_interval_and_grace()
    {
        _heartbeat.Followed();
        var following = await CheckAsync();
        Assert.Equal(HealthStatus.Healthy, following.Status);
        Assert.Contains("Another instance holds the lease", following.Description, StringComparison.Ordinal);
        Assert.Equal(false, following.Data["leading"]);

        _time.Advance(TimeSpan.FromMinutes(19));
        _heartbeat.Led();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        _time.Advance(TimeSpan.FromMinutes(20) + TimeSpan.FromSeconds(1));
        var stale = await CheckAsync();
        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Contains("not being renewed", stale.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_round_is_degraded_with_its_reason_and_an_instance_that_does_not_reconcile_is_healthy()
    {
        _heartbeat.Failed(new InvalidOperationException("the lease table cannot be read"));

        var failed = await CheckAsync();
        Assert.Equal(HealthStatus.Degraded, failed.Status);
        Assert.Contains("the lease table cannot be read", failed.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(reconcile: false)).Status);
    }
}
