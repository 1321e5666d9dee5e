using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Dispatching;

internal static class DispatchingServiceCollectionExtensions
{
    public static IServiceCollection AddDispatching(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DispatcherOptions>().Bind(configuration.GetSection(DispatcherOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DispatcherOptions>, DispatcherOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<LoggingChangeHandler>();
        services.AddSingleton<HandlerRegistry>();
        services.TryAddSingleton<ILifecycleEventHandler, LoggingLifecycleEventHandler>();
        services.TryAddSingleton<IRichNotificationProcessor, NoRichNotificationProcessor>();
        services.AddMetrics();
        services.TryAddSingleton<HandlingOutcomes>();
        services.AddSingleton<NotificationProcessor>();
        services.TryAddSingleton<IIntakePressure, NoIntakePressure>();
        services.TryAddSingleton<ProcessCpu>();
        services.AddSingleton<DispatchPacing>();
        services.TryAddSingleton<DispatchFeed>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        return services;
    }
}
