using System.Text;
using System.Threading.Channels;
using ChangeNotifications.Inbox;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Benchmarks.Driver.InboxMicro;

/// <summary>
/// The inbox's append path as it was before the writer kept its connection (commit b189ddf), frozen here as the "old"
/// row of <see cref="InboxMicroCommand"/>: the same group commit, but each round opens a pooled connection (running the
/// pragmas), prepares the insert and writes into the table with AUTOINCREMENT and the two full status indexes (<see cref="OldInboxSchema"/>).
/// </summary>
internal sealed class LegacyInbox : IAsyncDisposable
{
    private const int MaxEntriesPerCommit = 2_000;

    private readonly SqliteDatabase _database;
    private readonly Channel<(IReadOnlyList<InboxEntry> Entries, TaskCompletionSource<int> Done)> _pending =
        Channel.CreateUnbounded<(IReadOnlyList<InboxEntry>, TaskCompletionSource<int>)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public LegacyInbox(SqliteDatabase database)
    {
        _database = database;
        _writer = Task.Run(WriteLoopAsync);
    }

    public Task<int> AppendAsync(IReadOnlyList<InboxEntry> entries)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Writer.TryWrite((entries, done));
        return done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var round = new List<(IReadOnlyList<InboxEntry> Entries, TaskCompletionSource<int> Done)>();
        while (await _pending.Reader.WaitToReadAsync())
        {
            round.Clear();
            var count = 0;
            while (count < MaxEntriesPerCommit && _pending.Reader.TryRead(out var next))
            {
                round.Add(next);
                count += next.Entries.Count;
            }

            try
            {
                var inserted = await WriteAsync(round);
                for (var i = 0; i < round.Count; i++)
                {
                    round[i].Done.TrySetResult(inserted[i]);
                }
            }
            catch (SqliteException ex)
            {
                round.ForEach(p => p.Done.TrySetException(ex));
            }
        }
    }

    private async Task<int[]> WriteAsync(List<(IReadOnlyList<InboxEntry> Entries, TaskCompletionSource<int> Done)> round)
    {
        await using var connection = await _database.OpenAsync(CancellationToken.None);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO inbox (dedup_key, kind, subscription_id, payload, validation_tokens, received_at, not_before)
            VALUES ($key, $kind, $sub, $payload, $tokens, $now, $now)
            ON CONFLICT (dedup_key) DO NOTHING;
            """;
        var key = insert.Parameters.Add("$key", SqliteType.Text);
        var kind = insert.Parameters.Add("$kind", SqliteType.Integer);
        var sub = insert.Parameters.Add("$sub", SqliteType.Text);
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        var tokens = insert.Parameters.Add("$tokens", SqliteType.Text);
        insert.Parameters.AddWithValue("$now", UnixTime.ToMs(DateTimeOffset.UtcNow));
        insert.Prepare();

        var results = new int[round.Count];
        for (var i = 0; i < round.Count; i++)
        {
            foreach (var entry in round[i].Entries)
            {
                key.Value = entry.DedupKey;
                kind.Value = (int)entry.Kind;
                sub.Value = entry.SubscriptionId.ToString();
                // Entries carry UTF-8 now; the old path received a string (this decode, ~0.3 µs a row, was not in it).
                payload.Value = Encoding.UTF8.GetString(entry.Payload.Span);
                tokens.Value = (object?)entry.ValidationTokens ?? DBNull.Value;
                results[i] += await insert.ExecuteNonQueryAsync();
            }
        }

        await transaction.CommitAsync();
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }
}
