using ChangeNotifications.Inbox;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// Reads the inbox of a service's SQLite file from outside the process: each notification id and its status. A row the
/// claim marked as a redelivery (<c>duplicate of item …</c>) is left out; two other rows for one id, both settled, fail.
/// </summary>
internal static class InboxRows
{
    public static async Task<Dictionary<string, InboxItemStatus>> ReadAsync(string databasePath)
    {
        await using var connection = new SqliteConnection(ConnectionString(databasePath));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COALESCE(json_extract(payload, '$.id'), dedup_key), status FROM inbox
            WHERE kind = $change AND (last_error IS NULL OR last_error NOT LIKE 'duplicate of item %');
            """;
        command.Parameters.AddWithValue("$change", (int)InboxItemKind.Change);
        var rows = new Dictionary<string, InboxItemStatus>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            // Every notification of the load has its own id. A redelivery not claimed yet is a second row for now; once
            // both are settled, a second one not marked as a duplicate would have been handled twice.
            var id = reader.GetString(0);
            var status = (InboxItemStatus)reader.GetInt32(1);
            if (rows.TryGetValue(id, out var other))
            {
                Assert.False(IsSettled(other) && IsSettled(status), $"Two inbox rows handled for notification {id}.");
                status = IsSettled(status) ? other : status;
            }

            rows[id] = status;
        }

        return rows;
    }

    /// <summary>Waits until no row is pending or claimed and no stored batch is left to split (the dispatcher has
    /// finished), or <paramref name="timeout"/>.</summary>
    public static async Task<Dictionary<string, InboxItemStatus>> WaitUntilSettledAsync(string databasePath, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var rows = await ReadAsync(databasePath);
            if ((rows.Values.All(IsSettled) && await BatchesLeftAsync(databasePath) == 0) || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(200);
        }
    }

    private static async Task<long> BatchesLeftAsync(string databasePath)
    {
        await using var connection = new SqliteConnection(ConnectionString(databasePath));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM inbox_batches WHERE error IS NULL;";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string ConnectionString(string databasePath) =>
        new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

    private static bool IsSettled(InboxItemStatus status) => status is InboxItemStatus.Done or InboxItemStatus.Dead;
}
