using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChangeNotifications.Inbox;

internal static class InboxServiceCollectionExtensions
{
    /// <summary>The inbox's wake-up signal and meters; the inbox itself comes with the store (<c>AddStorage</c>).</summary>
    public static IServiceCollection AddInbox(this IServiceCollection services)
    {
        services.TryAddSingleton<InboxSignal>();
        services.AddMetrics();
        services.TryAddSingleton<InboxMetrics>();
        return services;
    }
}
