using ChangeNotifications.Handlers;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>Delta links in the service's SQLite file (table <c>delta_links</c>).</summary>
internal sealed class SqliteDeltaLinkStore(SqliteDatabase database, TimeProvider time) : IDeltaLinkStore
{
    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT link FROM delta_links WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SetAsync(string key, string deltaLink, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO delta_links (key, link, updated_at) VALUES ($key, $link, $at)
            ON CONFLICT (key) DO UPDATE SET link = excluded.link, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$link", deltaLink);
        command.Parameters.AddWithValue("$at", UnixTime.ToMs(time.GetUtcNow()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The <c>delta_links</c> table.</summary>
internal sealed class DeltaLinkSchema : ISqliteSchema
{
    public string Name => "delta_links";

    public string Sql => """
        CREATE TABLE IF NOT EXISTS delta_links (
            key TEXT NOT NULL PRIMARY KEY,
            link TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        );
        """;
}
