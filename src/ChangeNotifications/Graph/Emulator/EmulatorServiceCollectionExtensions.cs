using ChangeNotifications.GraphEmulator.Tenant;
using Microsoft.Graph;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>The Emulator-mode part of <see cref="GraphServiceCollectionExtensions.AddGraph"/>.</summary>
internal static class EmulatorServiceCollectionExtensions
{
    /// <summary>
    /// The <see cref="EmulatorHost"/> as a hosted service (idle in Live mode), and the emulated tenant unless
    /// <c>Graph:Mode</c> is Live.
    /// </summary>
    public static IServiceCollection AddGraphEmulator(this IServiceCollection services, IConfiguration configuration)
    {
        if (!string.Equals(configuration[$"{GraphOptions.Section}:{nameof(GraphOptions.Mode)}"], nameof(GraphMode.Live), StringComparison.OrdinalIgnoreCase))
        {
            services.AddEmulatedTenant();
        }

        services.AddSingleton<EmulatorHost>();
        services.AddHostedService(sp => sp.GetRequiredService<EmulatorHost>());
        return services;
    }

    /// <summary>The emulator's loopback addresses and a handler that trusts its certificate; throws until the host has started it.</summary>
    public static GraphEndpoints CreateEndpoints(IServiceProvider services)
    {
        var emulator = services.GetRequiredService<EmulatorHost>().Endpoint;
        return new GraphEndpoints(emulator.GraphBaseUrl, emulator.AuthorityHost, emulator.TenantId, emulator.ClientId, emulator.CreateHandler);
    }

    /// <summary>The <see cref="GraphServiceClient"/> for the emulator; its requests wait for the emulator to start.</summary>
    public static GraphServiceClient CreateClient(IServiceProvider services) =>
        new EmulatorGraphServiceClient(services.GetRequiredService<EmulatorHost>(), services.GetService<GraphCallMetrics>());
}
