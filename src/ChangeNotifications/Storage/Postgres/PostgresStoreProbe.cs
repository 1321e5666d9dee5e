using Npgsql;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>
/// <see cref="IStoreProbe"/> for the PostgreSQL database: reachable means a pooled connection opens and answers;
/// migrated means <c>schema_version</c> lists every migration this build knows. The backlog queries read the partial
/// indexes by status, so they stay cheap with a large done history. The connection string is never part of a reason.
/// </summary>
internal sealed class PostgresStoreProbe(NpgsqlDataSource dataSource) : IStoreProbe
{
    private const string BacklogSql = """
        SELECT
            (SELECT COUNT(*) FROM inbox WHERE status IN (0, 1)),
            (SELECT MIN(received_at) FROM inbox WHERE status IN (0, 1)),
            (SELECT COUNT(*) FROM inbox WHERE status = 3);
        """;

    public async Task<StoreProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        int applied;
        try
        {
            await using var version = dataSource.CreateCommand(
                "SELECT COALESCE(MAX(version), 0)::int FROM schema_version;");
            applied = (int)(await version.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return StoreProbe.Unreachable("the PostgreSQL database has no schema_version table: it was not migrated");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            return StoreProbe.Unreachable($"the PostgreSQL database (ConnectionStrings:ChangeNotifications) does not answer: {ex.Message}");
        }

        if (applied < PostgresSchema.Migrations.Count)
        {
            return StoreProbe.Unreachable(
                $"the PostgreSQL database is at migration {applied} of {PostgresSchema.Migrations.Count}: it was not migrated");
        }

        await using var command = dataSource.CreateCommand(BacklogSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new StoreProbe(
            Problem: null,
            Backlog: reader.GetInt64(0),
            OldestBacklogAt: reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
            DeadLetters: reader.GetInt64(2));
    }
}
