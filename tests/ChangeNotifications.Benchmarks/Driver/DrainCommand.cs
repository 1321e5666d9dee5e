using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Benchmarks.Driver;

/// <summary>
/// Waits until the running service has handled its inbox backlog (no item ready or claimed) and prints how many items
/// it handled meanwhile and how fast: the acknowledgement runs measure intake, this measures handling. Reads the
/// service's SQLite file beside it (WAL: a reader does not block the service's writers).
/// </summary>
internal static class DrainCommand
{
    internal static async Task<int> RunAsync(CommandLine args)
    {
        var database = Path.GetFullPath(args.Required("db"));
        var timeout = TimeSpan.FromSeconds(args.Int("timeout-s", 120));
        var connection = new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

        var start = await CountAsync(connection);
        var clock = Stopwatch.StartNew();
        var now = start;
        while (now.Pending > 0 && clock.Elapsed < timeout)
        {
            await Task.Delay(250);
            now = await CountAsync(connection);
        }

        var handled = now.Finished - start.Finished;
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"DRAIN backlog={start.Pending} handled={handled} seconds={seconds:0.0} rate={(seconds > 0 ? handled / seconds : 0):0} left={now.Pending} dead={now.Dead}"));
        return 0;
    }

    private static async Task<Counts> CountAsync(string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        // Batches not split yet (inbox_batches) are pending; one that could not be read (error set) is dead.
        command.CommandText = """
            SELECT status, COUNT(*) FROM inbox GROUP BY status
            UNION ALL SELECT CASE WHEN error IS NULL THEN 0 ELSE 3 END, SUM(item_count) FROM inbox_batches GROUP BY error IS NULL;
            """;
        long pending = 0, finished = 0, dead = 0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            // 0 ready, 1 claimed, 2 done, 3 dead (InboxItemStatus).
            switch (reader.GetInt32(0))
            {
                case 0 or 1: pending += reader.GetInt64(1); break;
                case 2: finished += reader.GetInt64(1); break;
                default: dead += reader.GetInt64(1); finished += reader.GetInt64(1); break;
            }
        }

        return new Counts(pending, finished, dead);
    }

    private readonly record struct Counts(long Pending, long Finished, long Dead);
}
