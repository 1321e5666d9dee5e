using ChangeNotifications.GraphEmulator.Auth;
using ChangeNotifications.GraphEmulator.Control;
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
        services.AddSingleton<GraphRequestFilter>();
        services.AddSingleton<FaultInjector>();
        services.AddSingleton<SubscriptionRegistry>();
        services.AddSingleton<SubscriptionRequestRules>();
        services.AddSingleton<ValidationHandshake>();
        services.AddSingleton<SubscriptionApi>();
        services.AddSingleton(sp => new EmulatorControl(
            sp.GetRequiredService<SubscriptionRegistry>(),
            sp.GetRequiredService<FaultInjector>(),
            sp.GetRequiredService<AccessTokenIssuer>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<EmulatorControl>>()));
        return services;
    }
}
