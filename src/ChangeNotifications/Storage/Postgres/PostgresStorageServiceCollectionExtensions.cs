using ChangeNotifications.Admin;
using ChangeNotifications.Handlers;
using ChangeNotifications.Inbox;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChangeNotifications.Storage.Postgres;

internal static class PostgresStorageServiceCollectionExtensions
{
    /// <summary>
    /// The PostgreSQL implementations of the storage contracts: one <see cref="NpgsqlDataSource"/> (its pool) for all of
    /// them, the start-up check that migrates the database, the listener for other instances' notes, and the data folder
    /// for the files that stay local (the emulator's state and certificate).
    /// </summary>
    public static IServiceCollection AddPostgresStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PostgresStorageOptions>()
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(PostgresStorageOptions.ConnectionStringName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStorageOptions>, PostgresStorageOptionsValidator>());
        services.TryAddSingleton(sp => CreateDataSource(sp.GetRequiredService<IOptions<PostgresStorageOptions>>().Value));
        services.TryAddSingleton(sp => new DataFolder(Path.GetFullPath(Path.Combine(
            sp.GetRequiredService<IHostEnvironment>().ContentRootPath,
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.DataFolder))));
        services.TryAddSingleton(sp => new PostgresStartupCheck(
            sp.GetRequiredService<IOptions<PostgresStorageOptions>>(),
            sp.GetRequiredService<NpgsqlDataSource>,
            sp.GetRequiredService<ILogger<PostgresStartupCheck>>()));
        services.TryAddSingleton<IStorageStartupCheck>(sp => sp.GetRequiredService<PostgresStartupCheck>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresStartupCheck>());

        services.TryAddSingleton<IInbox, PostgresInbox>();
        services.TryAddSingleton<IInboxAdministration, PostgresInboxAdministration>();
        services.TryAddSingleton<IStoreProbe, PostgresStoreProbe>();
        services.TryAddSingleton<PostgresSubscriptionStore>();
        services.TryAddSingleton<ISubscriptionStore>(sp => sp.GetRequiredService<PostgresSubscriptionStore>());
        services.TryAddSingleton<IDeltaLinkStore, PostgresDeltaLinkStore>();
        services.TryAddSingleton<InboxSignal>();
        services.TryAddSingleton<PostgresListener>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresListener>());
        return services;
    }

    /// <summary>
    /// The pool every store shares. Every session runs with <c>synchronous_commit = on</c> whatever the server's
    /// default: a commit returns only once the WAL is flushed (and, with synchronous standbys, replicated), so a 202 means
    /// durable.
    /// </summary>
    internal static NpgsqlDataSource CreateDataSource(PostgresStorageOptions options)
    {
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var sessionOptions = builder.ConnectionStringBuilder.Options;
        builder.ConnectionStringBuilder.Options = string.IsNullOrWhiteSpace(sessionOptions)
            ? "-c synchronous_commit=on"
            : $"{sessionOptions} -c synchronous_commit=on";
        builder.ConnectionStringBuilder.ApplicationName ??= "ChangeNotifications";
        return builder.Build();
    }
}
