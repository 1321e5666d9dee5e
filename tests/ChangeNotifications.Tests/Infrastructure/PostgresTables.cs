using System.Globalization;
using ChangeNotifications.Storage.Postgres;
using Npgsql;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>The store's tables in a test database: migrated and emptied, and read back as text.</summary>
internal static class PostgresTables
{
    /// <summary>A pool of its own on <paramref name="connectionString"/>'s database, its tables emptied (<see cref="EmptyAsync"/>).</summary>
    public static async Task<NpgsqlDataSource> OpenEmptyAsync(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await EmptyAsync(dataSource);
        return dataSource;
    }

    /// <summary>Migrates the database if it is new, then empties every table of the store (ids start again at 1).</summary>
    public static async Task EmptyAsync(NpgsqlDataSource dataSource)
    {
        await PostgresSchema.MigrateAsync(dataSource, CancellationToken.None);
        await using var command = dataSource.CreateCommand("TRUNCATE inbox, inbox_keys, subscriptions, delta_links RESTART IDENTITY;");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Column 0 of each row of <paramref name="sql"/>, as text.</summary>
    public static async Task<List<string>> QueryAsync(NpgsqlDataSource dataSource, string sql)
    {
        var values = new List<string>();
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture) ?? string.Empty);
        }

        return values;
    }
}
