using ChangeNotifications.Subscriptions;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Health;

internal static class HealthServiceCollectionExtensions
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>The alias of <see cref="ReadyPath"/> the service has always answered.</summary>
    public const string AliasPath = "/health";

    /// <summary>
    /// Section <c>Health</c> and the readiness checks beside the <c>subscriptions</c> one (which subscription management
    /// adds): <c>store</c> (reachable, migrated, backlog age, dead letters), <c>renewer</c> (the reconciler's rounds) and
    /// <c>handling</c> (a resource type whose items all fail), and the sampler behind the inbox gauges.
    /// </summary>
    public static IServiceCollection AddServiceHealth(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ReconcilerHeartbeat>();
        services.AddHostedService<InboxBacklogSampler>();
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>(StoreHealthCheck.Name)
            .AddCheck<RenewerHealthCheck>(RenewerHealthCheck.Name)
            .AddCheck<HandlingHealthCheck>(HandlingHealthCheck.Name);
        return services;
    }

    /// <summary>
    /// <c>GET /health/live</c>: the process answers (no check runs); <c>GET /health/ready</c> and its alias
    /// <c>/health</c>: every check, as JSON (<see cref="HealthJson"/>); 200 while Healthy or Degraded, 503 when Unhealthy.
    /// </summary>
    public static IEndpointRouteBuilder MapServiceHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthJson.WriteAsync });
        var ready = new HealthCheckOptions { ResponseWriter = HealthJson.WriteAsync };
        endpoints.MapHealthChecks(ReadyPath, ready);
        endpoints.MapHealthChecks(AliasPath, ready);
        return endpoints;
    }
}
