using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Subscriptions;

internal static class SubscriptionManagementServiceCollectionExtensions
{
    /// <summary>
    /// Subscription management: options (section <c>Subscriptions</c>, validated at start against the resource
    /// catalog), the leader lease (single node), the reconciler (hosted: loop, planner, operations), the lifecycle
    /// handler, dispatching's subscription lookup and the <c>subscriptions</c> health check. Expects a
    /// <c>GraphServiceClient</c> (<c>AddGraph</c>) and the subscription store (<c>AddStorage</c>).
    /// </summary>
    public static IServiceCollection AddSubscriptionManagement(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SubscriptionsOptions>()
            .Bind(configuration.GetSection(SubscriptionsOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SubscriptionsOptions>, SubscriptionsOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton(sp => new ResourceCatalog(sp.GetRequiredService<IOptions<SubscriptionsOptions>>().Value.MaxLifetimes));
        services.TryAddSingleton<SubscriptionStateBoard>();
        services.TryAddSingleton<ISubscriptionHealth>(sp => sp.GetRequiredService<SubscriptionStateBoard>());
        services.AddGraphClientProvider();
        services.TryAddSingleton<GraphSubscriptionsClient>();
        services.TryAddSingleton<ILeaderLease, SingleNodeLeaderLease>();
        services.TryAddSingleton(sp => new SubscriptionPlanner(sp.GetRequiredService<IOptions<SubscriptionsOptions>>().Value));
        services.TryAddSingleton<SubscriptionOperations>();
        services.TryAddSingleton<NotificationAddresses>();
        services.TryAddSingleton<ResyncRequester>();
        services.TryAddSingleton<SubscriptionReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<SubscriptionReconciler>());
        services.TryAddSingleton<ISubscriptionRequests>(sp => sp.GetRequiredService<SubscriptionReconciler>());
        services.TryAddSingleton<SubscriptionLifecycleHandler>();
        services.TryAddSingleton<ISubscriptionLookup, StoreSubscriptionLookup>();

        // Replaces the dispatcher's logging stand-in, whichever was registered first.
        services.RemoveAll<ILifecycleEventHandler>();
        services.AddSingleton<ILifecycleEventHandler>(sp => sp.GetRequiredService<SubscriptionLifecycleHandler>());

        services.AddHealthChecks().AddCheck<SubscriptionsHealthCheck>(SubscriptionsHealthCheck.Name);
        return services;
    }
}
