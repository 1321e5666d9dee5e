using ChangeNotifications.Inbox;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Tests.Storage.Sqlite;

/// <summary>The inbox contract on an SQLite file.</summary>
public sealed class SqliteInboxContractTests : InboxContractTests
{
    private readonly TempSqlite _file = new();
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private protected override IInbox Create(FakeLogCollector logs, int purgeChunkSize) => new SqliteInbox(
        new SqliteDatabase(
            Options.Create(new StorageOptions { SqlitePath = _file.FilePath, Durability = StorageDurability.Normal }),
            new TestEnvironment(_file.Directory),
            [new SqliteInboxSchema()]),
        Time,
        new FakeLogger<SqliteInbox>(logs),
        new InboxMetrics(_metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()))
    {
        PurgeChunkSize = purgeChunkSize,
        PurgePause = TimeSpan.Zero,
    };

    private protected override ChangeNotifications.Admin.IInboxAdministration Administration() => new SqliteInboxAdministration(
        new SqliteDatabase(
            Options.Create(new StorageOptions { SqlitePath = _file.FilePath, Durability = StorageDurability.Normal }),
            new TestEnvironment(_file.Directory),
            [new SqliteInboxSchema()]),
        Time);

    protected override async Task<List<string>> QueryAsync(string sql)
    {
        var values = new List<string>();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _file.FilePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _metrics.DisposeAsync();
        _file.Dispose();
    }
}
