using ChangeNotifications.Dispatching;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Health;

/// <summary>
/// Health check <c>handling</c>: Degraded while a resource type's items all fail (at least
/// <c>Health:FailingTypeMinimum</c> failed attempts and not one handled within <c>Health:FailingTypeWindow</c>), naming
/// the type and the last reason. Counts what this instance's dispatcher saw.
/// </summary>
internal sealed class HandlingHealthCheck(HandlingOutcomes outcomes, IOptions<HealthOptions> options) : IHealthCheck
{
    public const string Name = "handling";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var failing = outcomes.Failing(settings.FailingTypeWindow, settings.FailingTypeMinimum);
        if (failing.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"No resource type failing throughout the last {settings.FailingTypeWindow:c}"));
        }

        var data = failing.ToDictionary(f => f.Type.ToString(), f => (object)f.Failures);
        var reasons = string.Join("; ", failing.Select(f => $"{f.Type}: {f.Failures} failed, none handled (last: {f.LastReason})"));
        return Task.FromResult(HealthCheckResult.Degraded(
            $"Every {string.Join(", ", failing.Select(f => f.Type))} notification of the last {settings.FailingTypeWindow:c} failed: {reasons}",
            data: data));
    }
}
