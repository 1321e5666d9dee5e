using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>A SQLite file in its own temp folder, deleted with the test.</summary>
internal sealed class TempSqlite : IDisposable
{
    private readonly TempDirectory _directory = new("cn-sub-");

    public string Directory => _directory.Path;

    public string FilePath => _directory.File("subscriptions.db");

    /// <summary>A fresh database object over the same file, as a restarted process would open it.</summary>
    public SqliteDatabase OpenDatabase() =>
        new(Options.Create(new StorageOptions { SqlitePath = FilePath, Durability = StorageDurability.Normal }), new TestEnvironment(Directory), [new SubscriptionsSchema()]);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
