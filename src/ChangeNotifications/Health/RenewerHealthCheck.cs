using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Health;

/// <summary>
/// Health check <c>renewer</c>: Healthy while the reconciler finishes its rounds (leading, or finding the lease held by
/// another instance) within <c>Subscriptions:ReconcileInterval</c> + <c>Health:RenewerGrace</c>; Degraded when its last
/// round failed or none ended in that time, as subscriptions would then lapse unrenewed. An instance that does not
/// reconcile (<c>Subscriptions:Reconcile=false</c>) has nothing to report.
/// </summary>
internal sealed class RenewerHealthCheck(
    ReconcilerHeartbeat heartbeat,
    IOptions<SubscriptionsOptions> subscriptions,
    IOptions<HealthOptions> options,
    TimeProvider time) : IHealthCheck
{
    public const string Name = "renewer";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Check());

    private HealthCheckResult Check()
    {
        if (!subscriptions.Value.Reconcile)
        {
            return HealthCheckResult.Healthy("This instance does not reconcile (Subscriptions:Reconcile=false)");
        }

        var now = time.GetUtcNow();
        var limit = subscriptions.Value.ReconcileInterval + options.Value.RenewerGrace;
        if (heartbeat.Last is not { } last)
        {
            return now - heartbeat.StartedAt <= limit
                ? HealthCheckResult.Healthy($"Started at {heartbeat.StartedAt:O}; the first round has not ended yet")
                : HealthCheckResult.Degraded($"No reconcile round has ended since the start at {heartbeat.StartedAt:O} (limit {limit:c})");
        }

        var data = new Dictionary<string, object>
        {
            ["lastRoundAt"] = last.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["leading"] = last.Leading,
        };
        if (now - last.At > limit)
        {
            return HealthCheckResult.Degraded($"The last reconcile round ended at {last.At:O}, over {limit:c} ago: subscriptions are not being renewed", data: data);
        }

        if (last.Failure is not null)
        {
            return HealthCheckResult.Degraded($"The last reconcile round, at {last.At:O}, failed: {last.Failure}", data: data);
        }

        return HealthCheckResult.Healthy(
            last.Leading
                ? $"Leading; last round ended at {last.At:O}"
                : $"Another instance holds the lease and renews; last checked at {last.At:O}",
            data);
    }
}
