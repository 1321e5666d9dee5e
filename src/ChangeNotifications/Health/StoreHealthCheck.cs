using ChangeNotifications.Inbox;
using ChangeNotifications.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Health;

/// <summary>
/// Health check <c>store</c>: Unhealthy when the store cannot be reached or lacks its tables (nothing can be
/// acknowledged: not ready); Degraded when the inbox's oldest waiting item is older than <c>Health:MaxBacklogAge</c> or
/// the dead letters exceed <c>Health:MaxDeadLetters</c>. Each probe also refreshes the inbox gauges.
/// </summary>
internal sealed class StoreHealthCheck(IStoreProbe probe, InboxMetrics metrics, IOptions<HealthOptions> options, TimeProvider time) : IHealthCheck
{
    public const string Name = "store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        StoreProbe state;
        try
        {
            state = await probe.ProbeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"The store cannot be read: {ex.Message}");
        }

        if (state.Problem is not null)
        {
            return HealthCheckResult.Unhealthy($"The store is unavailable: {state.Problem}");
        }

        metrics.Observed(state.Backlog, state.OldestBacklogAt, state.DeadLetters);
        var settings = options.Value;
        var age = state.OldestBacklogAt is { } oldest ? time.GetUtcNow() - oldest : TimeSpan.Zero;
        var data = new Dictionary<string, object>
        {
            ["backlog"] = state.Backlog,
            ["oldestBacklogAgeSeconds"] = Math.Round(Math.Max(0, age.TotalSeconds), 1),
            ["deadLetters"] = state.DeadLetters,
        };
        var problems = new List<string>();
        if (age > settings.MaxBacklogAge)
        {
            problems.Add($"the oldest of {state.Backlog} waiting items is {age:c} old (Health:MaxBacklogAge {settings.MaxBacklogAge:c})");
        }

        if (state.DeadLetters > settings.MaxDeadLetters)
        {
            problems.Add($"{state.DeadLetters} items are dead-lettered (Health:MaxDeadLetters {settings.MaxDeadLetters}); see the log (event 2003) and replay them once mended");
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"Reachable and migrated; {state.Backlog} items waiting, {state.DeadLetters} dead-lettered", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data);
    }
}
