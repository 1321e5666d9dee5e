using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChangeNotifications.Handlers;

public static class HandlersServiceCollectionExtensions
{
    /// <summary>
    /// The built-in handler of every resource type. Replace a handler by registering yours for the same type
    /// afterwards: <c>services.AddChangeHandler&lt;MyMessageHandler&gt;();</c> (the last one registered for a type wins).
    /// Needs a <see cref="Microsoft.Graph.GraphServiceClient"/> (or an <see cref="IGraphClientProvider"/>) and the
    /// delta-link store (<c>AddStorage</c>) in DI.
    /// </summary>
    public static IServiceCollection AddChangeHandlers(this IServiceCollection services)
    {
        services.AddGraphClientProvider();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DeltaSync>();

        services.AddChangeHandler<PrintJobHandler>();
        services.AddChangeHandler<PrintTaskHandler>();
        services.AddChangeHandler<MessageHandler>();
        services.AddChangeHandler<CalendarEventHandler>();
        services.AddChangeHandler<ContactHandler>();
        services.AddChangeHandler<UserHandler>();
        services.AddChangeHandler<GroupHandler>();
        services.AddChangeHandler<ConversationHandler>();
        services.AddChangeHandler<DriveItemHandler>();
        services.AddChangeHandler<ListHandler>();
        services.AddChangeHandler<AlertHandler>();
        services.AddChangeHandler<CallRecordHandler>();
        services.AddChangeHandler<ChatMessageHandler>();
        return services;
    }

    /// <summary>Adds (or, registered after the built-ins, replaces) the handler for <typeparamref name="THandler"/>'s resource type.</summary>
    public static IServiceCollection AddChangeHandler<THandler>(this IServiceCollection services)
        where THandler : class, IChangeNotificationHandler =>
        services.AddSingleton<IChangeNotificationHandler, THandler>();

    /// <summary>Adds (or replaces) a handler instance for its resource type.</summary>
    public static IServiceCollection AddChangeHandler(this IServiceCollection services, IChangeNotificationHandler handler) =>
        services.AddSingleton(handler);
}
