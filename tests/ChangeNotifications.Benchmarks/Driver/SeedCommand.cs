using System.Text;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChangeNotifications.Benchmarks.Driver;

/// <summary>
/// Seeds the service's SQLite store, through the service's own <see cref="SqliteSubscriptionStore"/>, with subscriptions
/// the benchmark's notifications name. The service runs with <c>Subscriptions:Reconcile=false</c> (a
/// receiver-only instance): its reconciler neither deletes these rows, which no appsettings item describes, nor creates
/// the configured subscriptions, so the emulator generates no changes of its own during a run.
/// </summary>
internal static class SeedCommand
{
    public const string KeyPrefix = "benchmark-";

    internal static async Task<int> RunAsync(CommandLine args)
    {
        if (args.Optional("postgres") is { } connectionString)
        {
            return await CopyToPostgresAsync(Path.GetFullPath(args.Required("from-db")), connectionString, CancellationToken.None);
        }

        var database = Path.GetFullPath(args.Required("db"));
        var lua = Path.GetFullPath(args.Required("lua"));
        var count = args.Int("subscriptions", 8);

        var records = await SeedAsync(database, count, CancellationToken.None);
        await File.WriteAllTextAsync(lua, LuaData(records));
        Console.WriteLine($"Seeded {records.Count} subscriptions into {database}; wrote {lua}");
        return 0;
    }

    /// <param name="resource">The subscriptions' resource; <c>/users</c> (the benchmark: the user handler fetches each
    /// changed user from the emulator) by default.</param>
    public static async Task<IReadOnlyList<SubscriptionRecord>> SeedAsync(string databasePath, int count, CancellationToken cancellationToken, string resource = "/users")
    {
        var now = DateTimeOffset.UtcNow;
        var records = new List<SubscriptionRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var record = new SubscriptionRecord
            {
                Key = KeyPrefix + i,
                Resource = resource,
                ChangeType = "updated",
                ClientState = ClientStateGenerator.Create(),
                GraphId = Guid.NewGuid(),
                CreatedAt = now,
                ExpiresAt = now.AddDays(2),
            };
            records.Add(record);
        }

        await StoreAsync(databasePath, records, cancellationToken);
        return records;
    }

    /// <summary>Writes <paramref name="records"/> into the subscriptions table of the service's SQLite file.</summary>
    public static async Task StoreAsync(string databasePath, IEnumerable<SubscriptionRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var options = Options.Create(new StorageOptions { SqlitePath = databasePath });
        var environment = new FixedEnvironment(Path.GetDirectoryName(databasePath)!);
        var store = new SqliteSubscriptionStore(new SqliteDatabase(options, environment, [new SubscriptionsSchema()]));
        foreach (var record in records)
        {
            await store.UpsertAsync(record, cancellationToken);
        }
    }

    /// <summary>
    /// Copies the subscriptions seeded into a SQLite file to the PostgreSQL store (its schema migrated first), so the
    /// service on PostgreSQL takes the same requests as the one on SQLite.
    /// </summary>
    private static async Task<int> CopyToPostgresAsync(string databasePath, string connectionString, CancellationToken cancellationToken)
    {
        var options = Options.Create(new StorageOptions { SqlitePath = databasePath });
        var environment = new FixedEnvironment(Path.GetDirectoryName(databasePath)!);
        var records = await new SqliteSubscriptionStore(new SqliteDatabase(options, environment, [new SubscriptionsSchema()]))
            .ListAsync(cancellationToken);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await PostgresSchema.MigrateAsync(dataSource, cancellationToken);
        var store = new PostgresSubscriptionStore(dataSource, TimeProvider.System);
        foreach (var record in records)
        {
            await store.UpsertAsync(record, cancellationToken);
        }

        Console.WriteLine($"Copied {records.Count} subscriptions from {databasePath} to PostgreSQL");
        return 0;
    }

    private static string LuaData(IReadOnlyList<SubscriptionRecord> records)
    {
        var text = new StringBuilder()
            .AppendLine("-- Written by Driver seed: the subscriptions seeded into the service's store.")
            .AppendLine("return {")
            .Append("  tenantId = \"").Append(SeedIds.TenantId).AppendLine("\",")
            .Append("  userId = \"").Append(SeedIds.UserId).AppendLine("\",")
            .Append("  expires = \"").Append(records[0].ExpiresAt!.Value.ToString("O", System.Globalization.CultureInfo.InvariantCulture)).AppendLine("\",")
            .AppendLine("  subscriptions = {");
        foreach (var record in records)
        {
            text.Append("    { id = \"").Append(record.GraphId).Append("\", clientState = \"").Append(record.ClientState).AppendLine("\" },");
        }

        return text.AppendLine("  },").AppendLine("}").ToString();
    }
}
