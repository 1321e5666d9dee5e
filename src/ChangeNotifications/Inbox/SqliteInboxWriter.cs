using ChangeNotifications.Storage;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Inbox;

/// <summary>
/// The connection of the inbox's single writer, kept open with its statements prepared: a round costs one transaction
/// and its fsync, not an open, its pragmas and a prepare. After a failed round the connection is dropped and opened
/// again for the next one. Not thread-safe: only the write loop uses it.
/// </summary>
internal sealed class SqliteInboxWriter(SqliteDatabase database) : IAsyncDisposable
{
    /// <summary>Page cache of the writer's connection, in KiB (SQLite's default is 2 000): the dedup key index and the
    /// table's last pages stay in memory between rounds.</summary>
    public const int CacheKib = 8 * 1024;

    private SqliteConnection? _connection;
    private SqliteTransaction? _transaction;
    private Statements? _statements;

    /// <summary>Opens the connection if the last round dropped it (or on the first round).</summary>
    public async Task EnsureOpenAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return;
        }

        var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = $"PRAGMA cache_size=-{CacheKib};";
                await pragma.ExecuteNonQueryAsync(cancellationToken);
            }

            _statements = new Statements(connection);
            _connection = connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the round's transaction; <paramref name="now"/> is the time stored on its rows.</summary>
    public void Begin(DateTimeOffset now)
    {
        var statements = _statements ?? throw new InvalidOperationException("The inbox writer is not open.");
        _transaction = _connection!.BeginTransaction(deferred: false);
        statements.Enlist(_transaction, UnixTime.ToMs(now));
    }

    /// <summary>Inserts <paramref name="entry"/> unless its dedup key is stored; true when it was inserted.</summary>
    public bool Insert(InboxEntry entry) => Current.Insert(entry);

    /// <summary>Marks the item done.</summary>
    public void Complete(long id) => Current.Complete(id);

    public void Commit()
    {
        var transaction = _transaction ?? throw new InvalidOperationException("No round is open.");
        transaction.Commit();
        transaction.Dispose();
        _transaction = null;
    }

    /// <summary>Drops the connection after a failed round (its transaction rolls back); the next round opens a new one.</summary>
    public async ValueTask ResetAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync();
            _transaction = null;
        }

        _statements?.Dispose();
        _statements = null;
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    public ValueTask DisposeAsync() => ResetAsync();

    private Statements Current => _transaction is not null ? _statements! : throw new InvalidOperationException("No round is open.");

    /// <summary>The prepared insert and complete, with their parameters.</summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _complete;
        private readonly SqliteParameter _key;
        private readonly SqliteParameter _kind;
        private readonly SqliteParameter _subscription;
        private readonly SqliteParameter _payload;
        private readonly SqliteParameter _tokens;
        private readonly SqliteParameter _insertNow;
        private readonly SqliteParameter _id;
        private readonly SqliteParameter _completeNow;

        public Statements(SqliteConnection connection)
        {
            _insert = connection.CreateCommand();
            _insert.CommandText = """
                INSERT INTO inbox (dedup_key, kind, subscription_id, payload, validation_tokens, received_at, not_before)
                VALUES ($key, $kind, $sub, $payload, $tokens, $now, $now)
                ON CONFLICT (dedup_key) DO NOTHING;
                """;
            _key = _insert.Parameters.Add("$key", SqliteType.Text);
            _kind = _insert.Parameters.Add("$kind", SqliteType.Integer);
            _subscription = _insert.Parameters.Add("$sub", SqliteType.Text);
            _payload = _insert.Parameters.Add("$payload", SqliteType.Text);
            _tokens = _insert.Parameters.Add("$tokens", SqliteType.Text);
            _insertNow = _insert.Parameters.Add("$now", SqliteType.Integer);

            _complete = connection.CreateCommand();
            _complete.CommandText = "UPDATE inbox SET status = 2, locked_until = NULL, finished_at = $now WHERE id = $id;";
            _id = _complete.Parameters.Add("$id", SqliteType.Integer);
            _completeNow = _complete.Parameters.Add("$now", SqliteType.Integer);

            _insertNow.Value = 0L;
            _completeNow.Value = 0L;
            _id.Value = 0L;
            _key.Value = _subscription.Value = _payload.Value = string.Empty;
            _kind.Value = 0;
            _tokens.Value = DBNull.Value;
            _insert.Prepare();
            _complete.Prepare();
        }

        public void Enlist(SqliteTransaction transaction, long nowMs)
        {
            _insert.Transaction = transaction;
            _complete.Transaction = transaction;
            _insertNow.Value = nowMs;
            _completeNow.Value = nowMs;
        }

        public bool Insert(InboxEntry entry)
        {
            _key.Value = entry.DedupKey;
            _kind.Value = (int)entry.Kind;
            _subscription.Value = entry.SubscriptionId.ToString();
            _payload.Value = entry.Payload;
            _tokens.Value = (object?)entry.ValidationTokens ?? DBNull.Value;
            return _insert.ExecuteNonQuery() > 0;
        }

        public void Complete(long id)
        {
            _id.Value = id;
            _complete.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _insert.Dispose();
            _complete.Dispose();
        }
    }
}
