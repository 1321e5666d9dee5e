using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChangeNotifications.Graph;

/// <summary>
/// What makes <c>dotnet run</c> show the whole flow with no configuration: in Emulator mode the emulator
/// serves the seeded tenant, and the notification URL, when not set, is this service's own first
/// address (setting <c>urls</c>), so the emulator's handshakes and deliveries reach it.
/// </summary>
public static class LocalRunDefaults
{
    public static IServiceCollection AddLocalRunDefaults(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var mode = configuration.GetValue($"{GraphOptions.Section}:Mode", GraphMode.Emulator);
        if (mode != GraphMode.Emulator)
        {
            return services;
        }

        services.TryAddSingleton<IEmulatedTenant>(sp => new EmulatedTenant(sp.GetRequiredService<TimeProvider>()));
        var ownUrl = OwnBaseUrl(configuration["urls"]);
        if (ownUrl is not null)
        {
            services.PostConfigure<SubscriptionsOptions>(options =>
                options.NotificationUrl ??= $"{ownUrl}/api/notifications");
        }

        return services;
    }

    /// <summary>The first http(s) address of <c>urls</c>, with a wildcard host written as 127.0.0.1; null if none.</summary>
    public static string? OwnBaseUrl(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (first is null)
        {
            return null;
        }

        var wildcard = first.Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal);
        return Uri.TryCreate(wildcard, UriKind.Absolute, out var uri) && uri.Port != 0
            ? uri.GetLeftPart(UriPartial.Authority)
            : null;
    }
}
