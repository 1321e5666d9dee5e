using ChangeNotifications.Inbox;
using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace ChangeNotifications.Tests.Storage.Postgres;

/// <summary>The inbox contract on PostgreSQL: the class's database, emptied before each test.</summary>
public sealed class PostgresInboxContractTests(PostgresDatabase database) : InboxContractTests, IClassFixture<PostgresDatabase>, IPostgresTests
{
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private NpgsqlDataSource? _dataSource;

    private NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("Not initialized.");

    public override async Task InitializeAsync() => _dataSource = await PostgresTables.OpenEmptyAsync(database.ConnectionString);

    private protected override IInbox Create(FakeLogCollector logs, int purgeChunkSize) => new PostgresInbox(
        DataSource,
        Time,
        new FakeLogger<PostgresInbox>(logs),
        new InboxMetrics(_metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()))
    {
        PurgeChunkSize = purgeChunkSize,
    };

    private protected override ChangeNotifications.Admin.IInboxAdministration Administration() => new PostgresInboxAdministration(DataSource, Time);

    protected override Task<List<string>> QueryAsync(string sql) => PostgresTables.QueryAsync(DataSource, sql);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _metrics.DisposeAsync();
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }
}
