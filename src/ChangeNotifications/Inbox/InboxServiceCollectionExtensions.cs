using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Storage;

namespace ChangeNotifications.Inbox;

public static class InboxServiceCollectionExtensions
{
    public static IServiceCollection AddInbox(this IServiceCollection services)
    {
        services.AddSingleton<ISqliteSchema, SqliteInboxSchema>();
        services.AddSingleton<InboxSignal>();
        services.AddMetrics();
        services.AddSingleton<InboxMetrics>();
        services.AddSingleton<IInbox, SqliteInbox>();
        return services;
    }
}
