using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Tests.Infrastructure;
using Npgsql;

namespace ChangeNotifications.Tests.Storage.Postgres;

/// <summary>What the ready check reads of a PostgreSQL store: reachable, migrated, its backlog and dead letters.</summary>
public sealed class PostgresStoreProbeTests
{
    [PostgresFact]
    public async Task A_migrated_database_reports_its_backlog_its_oldest_item_and_its_dead_letters()
    {
        await using var dataSource = NpgsqlDataSource.Create(await PostgresDatabase.CreateAsync());
        await PostgresSchema.MigrateAsync(dataSource, CancellationToken.None);
        var received = new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
        await using (var insert = dataSource.CreateCommand("""
            INSERT INTO inbox (kind, subscription_id, payload, received_at, not_before, status) VALUES
                (0, gen_random_uuid(), '\x7b7d', $1, $1, 0),
                (0, gen_random_uuid(), '\x7b7d', $1 + interval '1 minute', $1, 1),
                (0, gen_random_uuid(), '\x7b7d', $1 - interval '1 hour', $1, 2),
                (0, gen_random_uuid(), '\x7b7d', $1, $1, 3);
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = received });
            await insert.ExecuteNonQueryAsync();
        }

        var probe = await new PostgresStoreProbe(dataSource).ProbeAsync(CancellationToken.None);

        Assert.Null(probe.Problem);
        Assert.Equal(2, probe.Backlog);
        Assert.Equal(received, probe.OldestBacklogAt);
        Assert.Equal(1, probe.DeadLetters);
    }

    [PostgresFact]
    public async Task A_database_that_was_not_migrated_is_reported_as_such()
    {
        await using var dataSource = NpgsqlDataSource.Create(await PostgresDatabase.CreateAsync());

        var probe = await new PostgresStoreProbe(dataSource).ProbeAsync(CancellationToken.None);

        Assert.Contains("not migrated", probe.Problem, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_server_that_does_not_answer_is_reported_without_the_connection_string()
    {
        var server = await PostgresServer.GetAsync();
        var closed = new NpgsqlConnectionStringBuilder(server.ConnectionString())
        {
            Port = FreeTcpPort(),
            Password = "secret-password",
            Timeout = 2,
        };
        await using var dataSource = NpgsqlDataSource.Create(closed.ConnectionString);

        var probe = await new PostgresStoreProbe(dataSource).ProbeAsync(CancellationToken.None);

        Assert.Contains("does not answer", probe.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password", probe.Problem, StringComparison.Ordinal);
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
