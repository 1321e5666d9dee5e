using ChangeNotifications.Inbox;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Tests.Faults;

/// <summary>Reads the inbox of a service's SQLite file from outside the process: each notification id and its status.</summary>
public static class InboxRows
{
    public static async Task<Dictionary<string, InboxItemStatus>> ReadAsync(string databasePath)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(json_extract(payload, '$.id'), dedup_key), status FROM inbox WHERE kind = $change;";
        command.Parameters.AddWithValue("$change", (int)InboxItemKind.Change);
        var rows = new Dictionary<string, InboxItemStatus>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            // The dedup key is unique in the table, and every notification of the load has its own id: a second row
            // for one id would be a duplicate the inbox let through.
            Assert.True(rows.TryAdd(reader.GetString(0), (InboxItemStatus)reader.GetInt32(1)), $"Two inbox rows for notification {reader.GetString(0)}.");
        }

        return rows;
    }

    /// <summary>Waits until no row is pending or claimed (the dispatcher has finished), or <paramref name="timeout"/>.</summary>
    public static async Task<Dictionary<string, InboxItemStatus>> WaitUntilSettledAsync(string databasePath, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var rows = await ReadAsync(databasePath);
            if (rows.Values.All(s => s is InboxItemStatus.Done or InboxItemStatus.Dead) || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(200);
        }
    }
}
