using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// Writes subscriptions into a service's SQLite file before the service starts, through its own
/// <see cref="SqliteSubscriptionStore"/>, so notifications naming them are accepted by a receiver-only process.
/// </summary>
internal static class SubscriptionSeed
{
    /// <summary><paramref name="count"/> subscriptions of <paramref name="resource"/> (updated), valid for two days.</summary>
    public static async Task<IReadOnlyList<SubscriptionRecord>> SeedAsync(string databasePath, int count, CancellationToken cancellationToken, string resource = "/users")
    {
        var now = DateTimeOffset.UtcNow;
        var records = Enumerable.Range(0, count).Select(i => new SubscriptionRecord
        {
            Key = "seeded-" + i,
            Resource = resource,
            ChangeType = "updated",
            ClientState = ClientStateGenerator.Create(),
            GraphId = Guid.NewGuid(),
            CreatedAt = now,
            ExpiresAt = now.AddDays(2),
        }).ToList();
        await StoreAsync(databasePath, records, cancellationToken);
        return records;
    }

    public static async Task StoreAsync(string databasePath, IEnumerable<SubscriptionRecord> records, CancellationToken cancellationToken)
    {
        var options = Options.Create(new StorageOptions { SqlitePath = databasePath });
        var store = new SqliteSubscriptionStore(new SqliteDatabase(options, new TestEnvironment(Path.GetDirectoryName(databasePath)!), [new SubscriptionsSchema()]));
        foreach (var record in records)
        {
            await store.UpsertAsync(record, cancellationToken);
        }
    }
}
