using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Tests.Handlers;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChangeNotifications.Tests.Storage.Postgres;

/// <summary>
/// <c>Storage:Provider=Postgres</c> at start-up: the connection string is required, the database's tables are migrated
/// once whoever starts first, and a database that cannot be reached stops start-up naming the setting.
/// </summary>
public sealed class PostgresStartupTests
{
    [Fact]
    public async Task A_missing_connection_string_stops_start_up_naming_the_setting()
    {
        using var host = Host(connectionString: null);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings:ChangeNotifications must be set when Storage:Provider is Postgres.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_start_up_check_names_a_missing_connection_string_in_one_critical_line()
    {
        using var host = Host(connectionString: null);

        Assert.False(await host.Services.GetRequiredService<IStorageStartupCheck>().OpensAsync(CancellationToken.None));

        var line = Assert.Single(host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot(), r => r.Id.Id == 7470);
        Assert.Equal(LogLevel.Critical, line.Level);
        Assert.Contains("ConnectionStrings:ChangeNotifications must be set", line.Prop("Reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_stops_start_up_without_printing_the_password()
    {
        // A port nothing listens on (taken and released), a password that must not reach the log.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var host = Host($"Host=127.0.0.1;Port={port};Username=cn;Password=hunter2-secret;Database=cn;Timeout=2");

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => host.StartAsync());

        Assert.StartsWith("ConnectionStrings:ChangeNotifications:", error.Message, StringComparison.Ordinal);
        var line = Assert.Single(host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot(), r => r.Id.Id == 7470);
        Assert.Equal($"127.0.0.1:{port}/cn", line.Prop("Server"));
        Assert.DoesNotContain("hunter2", line.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Instances_starting_together_migrate_the_database_once()
    {
        var connectionString = await PostgresDatabase.CreateAsync();
        var dataSources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(connectionString)).ToList();
        try
        {
            var applied = await Task.WhenAll(dataSources.Select(d => PostgresSchema.MigrateAsync(d, CancellationToken.None)));

            Assert.Equal([PostgresSchema.Migrations.Count, 0, 0, 0], applied.OrderDescending());
            await using var command = dataSources[0].CreateCommand("SELECT array_agg(version ORDER BY version) FROM schema_version");
            Assert.Equal(Enumerable.Range(1, PostgresSchema.Migrations.Count), (int[])(await command.ExecuteScalarAsync())!);
            Assert.Equal(0, await PostgresSchema.MigrateAsync(dataSources[0], CancellationToken.None));
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [PostgresFact]
    public async Task A_host_on_a_new_database_starts_with_its_tables_and_synchronous_commit_on()
    {
        var connectionString = await PostgresDatabase.CreateAsync();
        using var host = Host(connectionString + ";Options=-c synchronous_commit=off");

        await host.StartAsync();

        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var command = dataSource.CreateCommand("SELECT current_setting('synchronous_commit'), to_regclass('inbox') IS NOT NULL"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal("on", reader.GetString(0));
            Assert.True(reader.GetBoolean(1));
        }

        var migrated = Assert.Single(host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot(), r => r.Id.Id == 7471);
        Assert.Equal(PostgresSchema.Migrations.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), migrated.Prop("Version"));
        await host.StopAsync();
    }

    private static IHost Host(string? connectionString)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(
            new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Path.GetTempPath() });
        builder.Configuration.AddInMemoryCollection([
            new("Storage:Provider", "Postgres"),
            new("ConnectionStrings:ChangeNotifications", connectionString),
        ]);
        builder.Services.AddFakeLogging();
        builder.Services.AddStorage(builder.Configuration);
        return builder.Build();
    }
}
