using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Storage.Postgres;

internal static class PostgresLeaderLeaseServiceCollectionExtensions
{
    /// <summary>The name under <c>ConnectionStrings</c> of an optional connection for the lease alone.</summary>
    public const string LeaderConnectionStringName = "ChangeNotificationsLeader";

    /// <summary>
    /// The leader lease of instances sharing the database, in place of the single-node one whatever the order of the
    /// <c>Add…</c> calls. It holds a session lock, so it needs a direct connection: <c>ConnectionStrings:ChangeNotificationsLeader</c>
    /// when the store's <c>ConnectionStrings:ChangeNotifications</c> goes through a transaction-mode pooler, else the store's.
    /// </summary>
    public static IServiceCollection AddPostgresLeaderLease(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<ILeaderLease>(sp => new PostgresLeaderLease(
            ConnectionString(configuration),
            sp.GetRequiredService<IOptions<SubscriptionsOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PostgresLeaderLease>>()));
        return services;
    }

    private static string ConnectionString(IConfiguration configuration)
    {
        if (configuration.GetConnectionString(LeaderConnectionStringName) is { Length: > 0 } leader)
        {
            return leader;
        }

        // Hosted services are made before options are validated: say here what is missing rather than fail in Npgsql.
        return configuration.GetConnectionString(PostgresStorageOptions.ConnectionStringName) is { Length: > 0 } store
            ? store
            : throw new OptionsValidationException(
                PostgresStorageOptions.ConnectionStringKey,
                typeof(PostgresStorageOptions),
                [$"{PostgresStorageOptions.ConnectionStringKey} must be set when {StorageOptions.Section}:Provider is Postgres."]);
    }
}
