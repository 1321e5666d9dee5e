using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChangeNotifications.GraphEmulator.Tenant;

public static class TenantServiceCollectionExtensions
{
    /// <summary>
    /// The seeded <see cref="EmulatedTenant"/> (on the container's <see cref="TimeProvider"/>) as the
    /// <see cref="IEmulatedTenant"/> an in-process emulator serves and changes. Registered only if none is yet,
    /// so a test can put its own tenant first.
    /// </summary>
    public static IServiceCollection AddEmulatedTenant(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new EmulatedTenant(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IEmulatedTenant>(sp => sp.GetRequiredService<EmulatedTenant>());
        return services;
    }
}
