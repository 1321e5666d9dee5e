using ChangeNotifications.Handlers;
using Npgsql;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>Delta links in the shared database (table <c>delta_links</c>): any instance resumes where another stopped.</summary>
internal sealed class PostgresDeltaLinkStore(NpgsqlDataSource dataSource, TimeProvider time) : IDeltaLinkStore
{
    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT link FROM delta_links WHERE key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SetAsync(string key, string deltaLink, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO delta_links (key, link, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (key) DO UPDATE SET link = excluded.link, updated_at = excluded.updated_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = deltaLink });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
