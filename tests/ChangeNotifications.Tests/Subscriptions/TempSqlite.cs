using ChangeNotifications.Storage;
using ChangeNotifications.Subscriptions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>A SQLite file in its own temp folder, deleted with the test.</summary>
internal sealed class TempSqlite : IDisposable
{
    public TempSqlite()
    {
        Directory = Path.Combine(Path.GetTempPath(), "cn-sub-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        FilePath = Path.Combine(Directory, "subscriptions.db");
    }

    public string Directory { get; }

    public string FilePath { get; }

    /// <summary>A fresh database object over the same file, as a restarted process would open it.</summary>
    public SqliteDatabase OpenDatabase() =>
        new(Options.Create(new StorageOptions { SqlitePath = FilePath, Durability = StorageDurability.Normal }), new TestEnvironment(Directory), [new SubscriptionsSchema()]);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

}

/// <summary>A host environment rooted in a test folder.</summary>
internal sealed class TestEnvironment(string root) : IHostEnvironment
{
    public string EnvironmentName { get; set; } = "Test";

    public string ApplicationName { get; set; } = "ChangeNotifications.Tests";

    public string ContentRootPath { get; set; } = root;

    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}
