using ChangeNotifications.GraphEmulator.Auth;
using ChangeNotifications.GraphEmulator.Control;
using ChangeNotifications.GraphEmulator.Delivery;
using ChangeNotifications.GraphEmulator.Lifecycle;
using ChangeNotifications.GraphEmulator.Rich;
using ChangeNotifications.GraphEmulator.State;
using ChangeNotifications.GraphEmulator.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>The emulator's parts, registered in the emulator's own WebApplication.</summary>
internal static class EmulatorServiceCollectionExtensions
{
    public static IServiceCollection AddEmulatorServices(this IServiceCollection services, GraphEmulatorOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(options.TimeProvider);
        services.AddSingleton<OutboundHttp>();
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<ApiTokenIssuer>();
        services.AddSingleton<AuthorizationCodes>();
        services.AddSingleton<GraphRequestFilter>();
        services.AddSingleton<FaultInjector>();
        services.AddSingleton<SubscriptionRegistry>();
        services.AddSingleton<SubscriptionRequestRules>();
        services.AddSingleton<ValidationHandshake>();
        services.AddSingleton<SubscriptionApi>();
        services.AddSingleton<ValidationTokenIssuer>();
        services.AddSingleton<DeliveryCounters>();
        services.AddSingleton<EndpointHealth>();
        services.AddSingleton<NotificationFactory>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton<ChangeGenerator>();
        services.AddSingleton<LifecycleNotifier>();
        if (options.StatePath is not null)
        {
            // Registered before the other hosted services so it stops after them and saves their last changes.
            services.AddSingleton<EmulatorStateFile>();
            services.AddHostedService<EmulatorStateSaver>();
        }

        services.AddHostedService<DeliveryLoop>();
        services.AddHostedService<ChangePacer>();
        services.AddHostedService<LifecycleScheduler>();
        services.AddSingleton(sp => new EmulatorControl(
            sp.GetRequiredService<SubscriptionRegistry>(),
            sp.GetRequiredService<FaultInjector>(),
            sp.GetRequiredService<AccessTokenIssuer>(),
            sp.GetRequiredService<ChangeGenerator>(),
            sp.GetRequiredService<LifecycleNotifier>(),
            sp.GetRequiredService<NotificationDispatcher>(),
            sp.GetRequiredService<DeliveryCounters>(),
            sp.GetRequiredService<EndpointHealth>(),
            sp.GetRequiredService<GraphEmulatorOptions>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<EmulatorControl>>()));
        return services;
    }
}
