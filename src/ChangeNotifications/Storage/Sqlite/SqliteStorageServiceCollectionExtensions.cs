using ChangeNotifications.Admin;
using ChangeNotifications.Handlers;
using ChangeNotifications.Inbox;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChangeNotifications.Storage.Sqlite;

internal static class SqliteStorageServiceCollectionExtensions
{
    /// <summary>The SQLite implementations of the storage contracts, their tables, and the start-up check of the file.</summary>
    public static IServiceCollection AddSqliteStorage(this IServiceCollection services)
    {
        services.TryAddSingleton<SqliteDatabase>();
        services.TryAddSingleton(sp => new DataFolder(sp.GetRequiredService<SqliteDatabase>().Folder));
        services.TryAddSingleton<SqliteStartupCheck>();
        services.TryAddSingleton<IStorageStartupCheck>(sp => sp.GetRequiredService<SqliteStartupCheck>());
        services.AddHostedService(sp => sp.GetRequiredService<SqliteStartupCheck>());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISqliteSchema, SqliteInboxSchema>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISqliteSchema, SubscriptionsSchema>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISqliteSchema, DeltaLinkSchema>());

        services.TryAddSingleton<IInbox, SqliteInbox>();
        services.TryAddSingleton<IInboxAdministration, SqliteInboxAdministration>();
        services.TryAddSingleton<SqliteSubscriptionStore>();
        services.TryAddSingleton<ISubscriptionStore>(sp => sp.GetRequiredService<SqliteSubscriptionStore>());
        services.TryAddSingleton<IDeltaLinkStore, SqliteDeltaLinkStore>();
        return services;
    }
}
