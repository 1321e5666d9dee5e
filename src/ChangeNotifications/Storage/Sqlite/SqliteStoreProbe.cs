using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// <see cref="IStoreProbe"/> for the SQLite file. Reachable means the file is still at its path and opens for writing
/// on a fresh connection (a pooled one, like the inbox writer's, keeps working on a file whose folder was deleted, so
/// only a new open tells); migrated means the tables of every feature exist. The backlog queries read the partial
/// indexes by status, so they stay cheap with a large done history.
/// </summary>
internal sealed class SqliteStoreProbe(SqliteDatabase database) : IStoreProbe
{
    /// <summary>The tables the schemas create (<see cref="SqliteInboxSchema"/>, <see cref="SubscriptionsSchema"/>, <see cref="DeltaLinkSchema"/>).</summary>
    private static readonly string[] Tables = ["inbox", "inbox_keys", "inbox_batches", "subscriptions", "delta_links"];

    private const string BacklogSql = """
        SELECT
            (SELECT COUNT(*) FROM inbox WHERE status = 0)
              + (SELECT COUNT(*) FROM inbox WHERE status = 1)
              + (SELECT COALESCE(SUM(item_count), 0) FROM inbox_batches WHERE error IS NULL),
            MIN(
              COALESCE((SELECT received_at FROM inbox WHERE status = 0 ORDER BY id LIMIT 1), 9223372036854775807),
              COALESCE((SELECT MIN(received_at) FROM inbox WHERE status = 1), 9223372036854775807),
              COALESCE((SELECT received_at FROM inbox_batches WHERE error IS NULL ORDER BY id LIMIT 1), 9223372036854775807)),
            (SELECT COUNT(*) FROM inbox WHERE status = 3)
              + (SELECT COALESCE(SUM(item_count), 0) FROM inbox_batches WHERE error IS NOT NULL);
        """;

    public async Task<StoreProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(database.FilePath))
        {
            return StoreProbe.Unreachable($"the SQLite file {database.FilePath} (Storage:SqlitePath) is not there any more");
        }

        var connectionString = new SqliteConnectionStringBuilder(database.ConnectionString)
        {
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (SqliteException ex)
        {
            return StoreProbe.Unreachable($"the SQLite file {database.FilePath} (Storage:SqlitePath) does not open: {ex.Message}");
        }

        if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
        {
            return StoreProbe.Unreachable($"the SQLite file {database.FilePath} (Storage:SqlitePath) opens read-only: its file, folder or volume is not writable");
        }

        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({string.Join(", ", Tables.Select(t => $"'{t}'"))});";
        var present = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                present.Add(reader.GetString(0));
            }
        }

        var missing = Tables.Where(t => !present.Contains(t)).ToList();
        if (missing.Count > 0)
        {
            return StoreProbe.Unreachable($"the SQLite file {database.FilePath} lacks the tables {string.Join(", ", missing)}: it was not migrated");
        }

        command.CommandText = BacklogSql;
        await using var backlog = await command.ExecuteReaderAsync(cancellationToken);
        await backlog.ReadAsync(cancellationToken);
        var oldest = backlog.GetInt64(1);
        return new StoreProbe(
            Problem: null,
            Backlog: backlog.GetInt64(0),
            OldestBacklogAt: oldest == long.MaxValue ? null : UnixTime.FromMs(oldest),
            DeadLetters: backlog.GetInt64(2));
    }
}
