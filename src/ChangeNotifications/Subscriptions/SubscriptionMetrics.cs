using System.Diagnostics.Metrics;
using ChangeNotifications.Telemetry;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// Instruments of subscription management: renewals by outcome, and each kept subscription's time to expiry (tag
/// <c>subscription</c>: its key, the resource and change types as configured, never its clientState), read from the
/// reconciler's in-memory board when observed.
/// </summary>
internal sealed class SubscriptionMetrics
{
    private readonly Counter<long> _renewals;

    public SubscriptionMetrics(IMeterFactory meterFactory, ISubscriptionHealth health, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(ServiceMeter.Name);
        _renewals = meter.CreateCounter<long>(
            "changenotifications.subscription.renewals", "{renewal}", "Renewals (PATCH of the expiry) by outcome: succeeded or failed");
        meter.CreateObservableGauge(
            "changenotifications.subscription.expires_in",
            () => health.Snapshot()
                .Where(s => s.ExpiresAt is not null)
                .Select(s => new Measurement<double>(
                    (s.ExpiresAt!.Value - time.GetUtcNow()).TotalSeconds,
                    new KeyValuePair<string, object?>("subscription", s.Key))),
            "s",
            "Time until each kept subscription expires in Graph (negative: expired)");
    }

    public void Renewed() => _renewals.Add(1, new KeyValuePair<string, object?>("outcome", "succeeded"));

    public void RenewalFailed() => _renewals.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
}
