using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Subscriptions;

internal enum SubscriptionState
{
    /// <summary>Not created yet (first start, or being recreated).</summary>
    Pending = 0,

    /// <summary>Exists in Graph and is renewed on schedule.</summary>
    Active = 1,

    /// <summary>The last attempt failed; retried with backoff. See the failure reason.</summary>
    Failing = 2,
}

/// <summary>One subscription as health and operators see it (no clientState).</summary>
internal sealed record SubscriptionStatus(
    string Key,
    string Resource,
    string ChangeType,
    SubscriptionState State,
    Guid? GraphId,
    DateTimeOffset? ExpiresAt,
    string? FailureReason,
    int ConsecutiveFailures,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? LastNotificationAt);

/// <summary>Read model of the subscriptions the service keeps, for health checks and diagnostics.</summary>
internal interface ISubscriptionHealth
{
    IReadOnlyList<SubscriptionStatus> Snapshot();
}

/// <summary>
/// The reconciler's in-memory view of each desired subscription: state for health, and when it may next be
/// tried (backoff, Retry-After) or is next due for renewal, so the loop wakes in time. What a pass decides on
/// (including the backoff) lives on the record in <see cref="ISubscriptionStore"/>.
/// </summary>
internal sealed class SubscriptionStateBoard : ISubscriptionHealth
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public IReadOnlyList<SubscriptionStatus> Snapshot() =>
        _entries.Values.Select(e => e.Status).OrderBy(s => s.Key, StringComparer.Ordinal).ToList();

    public SubscriptionStatus? Find(string key) => _entries.TryGetValue(key, out var e) ? e.Status : null;

    /// <summary>Records what the store now holds, and the next moment the subscription needs attention.</summary>
    public void Update(SubscriptionRecord record, SubscriptionState state, DateTimeOffset? nextAttemptAt, DateTimeOffset? renewalDueAt)
    {
        ArgumentNullException.ThrowIfNull(record);
        _entries[record.Key] = new Entry(
            new SubscriptionStatus(
                record.Key, record.Resource, record.ChangeType, state, record.GraphId, record.ExpiresAt,
                record.FailureReason, record.ConsecutiveFailures, nextAttemptAt, record.LastNotificationAt),
            renewalDueAt);
    }

    public void Remove(string key) => _entries.TryRemove(key, out _);

    /// <summary>The earliest retry or renewal due, so the background loop wakes in time.</summary>
    public DateTimeOffset? EarliestDue() =>
        _entries.Values
            .SelectMany(e => new[] { e.Status.NextAttemptAt, e.RenewalDueAt })
            .Where(t => t is not null)
            .Min();

    private sealed record Entry(SubscriptionStatus Status, DateTimeOffset? RenewalDueAt);
}

/// <summary>Health check <c>subscriptions</c>: Degraded while any subscription keeps failing, with the reasons.</summary>
internal sealed class SubscriptionsHealthCheck(ISubscriptionHealth health, IOptions<SubscriptionsOptions> options) : IHealthCheck
{
    public const string Name = "subscriptions";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = health.Snapshot();
        var failing = snapshot
            .Where(s => s.State == SubscriptionState.Failing && s.ConsecutiveFailures >= options.Value.FailuresBeforeDegraded)
            .ToList();
        var data = snapshot.ToDictionary(
            s => s.Key,
            s => (object)$"{s.State}; expires {s.ExpiresAt:O}{(s.FailureReason is null ? string.Empty : "; " + s.FailureReason)}");
        if (failing.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"{snapshot.Count} subscription(s) kept", data));
        }

        var reasons = string.Join("; ", failing.Select(f => $"{f.Resource} ({f.ChangeType}): {f.FailureReason}"));
        return Task.FromResult(HealthCheckResult.Degraded($"{failing.Count} of {snapshot.Count} subscription(s) failing: {reasons}", data: data));
    }
}
