using ChangeNotifications.Inbox;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// The connection of the inbox's single writer, kept open with its commands prepared (insert, insert and split a batch,
/// complete, claim and its dedup keys): a round costs one transaction and its fsync, not an open, its pragmas and a
/// prepare. After a failed round the transaction is rolled back and the connection dropped; the next round opens a new
/// one. Not thread-safe: only the write loop uses it.
/// </summary>
internal sealed class SqliteInboxWriter(SqliteDatabase database) : IAsyncDisposable
{
    /// <summary>
    /// The claim. Ready rows and rows whose lease ran out are looked up apart, each through its partial index in that
    /// index's order (SQLite uses no partial index for the terms of an OR, and a lookup ordered otherwise may be planned
    /// as a scan of the whole table, which grows with the backlog). Ready lifecycle events
    /// come first, through their own partial index: under a flood the dispatcher handles a few items a round, and a
    /// <c>reauthorizationRequired</c> or <c>subscriptionRemoved</c> must not wait behind the backlog of changes.
    /// </summary>
    internal const string ClaimSql = $$"""
        UPDATE inbox SET status = 1, attempts = attempts + 1, locked_until = $until
        WHERE id IN (
            SELECT id FROM (
                SELECT id, 0 AS later FROM (
                    SELECT id FROM inbox WHERE status = 0 AND kind = {{SqliteInboxSchema.LifecycleKind}} AND not_before <= $now ORDER BY id LIMIT $max)
                UNION ALL
                SELECT id, 1 FROM (SELECT id FROM inbox WHERE status = 0 AND not_before <= $now ORDER BY id LIMIT $max)
                UNION ALL
                SELECT id, 1 FROM (SELECT id FROM inbox WHERE status = 1 AND locked_until <= $now ORDER BY locked_until LIMIT $max))
            GROUP BY id ORDER BY MIN(later), id LIMIT $max)
        RETURNING {{SqliteInbox.ItemColumns}};
        """;

    /// <summary>Page cache of the writer's connection, in KiB (SQLite's default is 2 000): the claimed keys' index
    /// (<c>inbox_keys</c>) and the table's last pages stay in memory between rounds.</summary>
    public const int CacheKib = 8 * 1024;

    private SqliteConnection? _connection;
    private Statements? _statements;
    private SqliteTransaction? _transaction;

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
            // Closing the connection disposes the commands prepared before the one that failed.
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the round's transaction (<c>BEGIN IMMEDIATE</c>); <paramref name="now"/> is the time stored on its
    /// rows.</summary>
    public void Begin(DateTimeOffset now)
    {
        var statements = _statements ?? throw new InvalidOperationException("The inbox writer is not open.");
        _transaction = _connection!.BeginTransaction(deferred: false);
        statements.Begin(_transaction, UnixTime.ToMs(now));
    }

    /// <summary>Inserts <paramref name="entry"/> (a redelivered item too: the claim recognises it).</summary>
    public void Insert(InboxEntry entry) => Current.Insert(entry);

    /// <summary>Inserts <paramref name="itemCount"/> change notifications as one row (<see cref="InboxBatchCodec"/>'s
    /// <paramref name="items"/>); a claim splits it into item rows.</summary>
    public void InsertBatch(ReadOnlyMemory<byte> items, int itemCount) => Current.InsertBatch(items, itemCount);

    /// <summary>Marks the item done.</summary>
    public void Complete(long id) => Current.Complete(id);

    /// <summary>
    /// Claims up to <paramref name="max"/> ready items (due, or whose lease ran out) for <paramref name="lease"/>, in id
    /// order, and records their dedup keys; an item whose key an earlier item holds is marked done, not returned.
    /// Stored batches are split first, oldest first, until at least <paramref name="max"/> items came out of them (or
    /// none is left): their items join the ready ones at the end, and batches do not wait behind a stream of items.
    /// </summary>
    public ClaimedItems Claim(int max, TimeSpan lease) => Current.Claim(max, lease);

    /// <summary>Commits the round (with <c>Storage:Durability=Full</c>, SQLite's <c>synchronous=FULL</c>: the WAL is
    /// fsynced before this returns).</summary>
    public void Commit()
    {
        var transaction = _transaction ?? throw new InvalidOperationException("No round is open.");
        transaction.Commit();
        transaction.Dispose();
        _transaction = null;
    }

    /// <summary>Drops the connection after a failed round, its transaction rolled back first (the connection goes back to
    /// the pool); the next round opens a new one.</summary>
    public async ValueTask ResetAsync()
    {
        var connection = _connection;
        var transaction = _transaction;
        _connection = null;
        _transaction = null;
        _statements?.Dispose();
        _statements = null;
        if (connection is null)
        {
            return;
        }

        try
        {
            transaction?.Dispose();
            await connection.DisposeAsync();
        }
        catch (SqliteException)
        {
            // A rollback that fails (in WAL mode it writes nothing, so hardly ever) leaves the connection to the
            // collector, which closes it; the write loop goes on, and the next round opens a new connection.
        }
    }

    public ValueTask DisposeAsync() => ResetAsync();

    /// <summary>A PASSIVE checkpoint on the writer's connection, between rounds: it copies what no reader still needs and
    /// waits for nobody. Its result is not checked: one that copies less (a reader) or fails leaves the frames to the next
    /// one, and SQLite's automatic checkpoint bounds the WAL.</summary>
    public void Checkpoint()
    {
        if (_transaction is null)
        {
            _statements?.Checkpoint();
        }
    }

    private Statements Current => _transaction is not null ? _statements! : throw new InvalidOperationException("No round is open.");

    /// <summary>The prepared commands of a round (insert, complete, claim and its keys) and the checkpoint, with their
    /// parameters; a round's transaction is given to each before it runs.</summary>
    private sealed class Statements : IDisposable
    {
        private readonly List<SqliteCommand> _roundCommands = [];
        private readonly SqliteCommand _insert;
        private readonly SqliteParameter _key;
        private readonly SqliteParameter _kind;
        private readonly SqliteParameter _subscription;
        private readonly SqliteParameter _payload;
        private readonly SqliteParameter _tokens;
        private readonly SqliteParameter _received;
        private readonly SqliteParameter _insertNow;
        private readonly SqliteCommand _insertBatch;
        private readonly SqliteParameter _batchCount;
        private readonly SqliteParameter _batchItems;
        private readonly SqliteParameter _batchNow;
        private readonly SqliteCommand _oldestBatch;
        private readonly SqliteCommand _deleteBatch;
        private readonly SqliteParameter _deleteBatchId;
        private readonly SqliteCommand _setBatchError;
        private readonly SqliteParameter _setBatchErrorId;
        private readonly SqliteParameter _setBatchErrorText;
        private readonly SqliteCommand _complete;
        private readonly SqliteParameter _completeId;
        private readonly SqliteParameter _completeNow;
        private readonly SqliteCommand _claim;
        private readonly SqliteParameter _claimNow;
        private readonly SqliteParameter _claimUntil;
        private readonly SqliteParameter _claimMax;
        private readonly SqliteCommand _setKey;
        private readonly SqliteParameter _setKeyId;
        private readonly SqliteParameter _setKeyKey;
        private readonly SqliteCommand _holdKey;
        private readonly SqliteParameter _holdKeyKey;
        private readonly SqliteParameter _holdKeyId;
        private readonly SqliteParameter _holdKeyNow;
        private readonly SqliteCommand _duplicate;
        private readonly SqliteParameter _duplicateId;
        private readonly SqliteParameter _duplicateOf;
        private readonly SqliteParameter _duplicateNow;
        private readonly SqliteCommand _checkpoint;
        private long _nowMs;

        public Statements(SqliteConnection connection)
        {
            // The payload is bound as the UTF-8 bytes it arrived as and stored as text (CAST reads a blob as text in the
            // file's encoding, UTF-8), without a decode to a string and back.
            _insert = Command(connection, """
                INSERT INTO inbox (dedup_key, kind, subscription_id, payload, validation_tokens, received_at, not_before)
                VALUES ($key, $kind, $sub, CAST($payload AS TEXT), $tokens, $received, $now);
                """);
            _key = _insert.Parameters.Add("$key", SqliteType.Text);
            _kind = _insert.Parameters.Add("$kind", SqliteType.Integer);
            _subscription = _insert.Parameters.Add("$sub", SqliteType.Text);
            _payload = _insert.Parameters.Add("$payload", SqliteType.Blob);
            _tokens = _insert.Parameters.Add("$tokens", SqliteType.Text);
            _received = _insert.Parameters.Add("$received", SqliteType.Integer);
            _insertNow = _insert.Parameters.Add("$now", SqliteType.Integer);

            _insertBatch = Command(connection, "INSERT INTO inbox_batches (item_count, received_at, items) VALUES ($count, $now, $items);");
            _batchCount = _insertBatch.Parameters.Add("$count", SqliteType.Integer);
            _batchItems = _insertBatch.Parameters.Add("$items", SqliteType.Blob);
            _batchNow = _insertBatch.Parameters.Add("$now", SqliteType.Integer);
            _oldestBatch = Command(connection, "SELECT id, received_at, items, item_count FROM inbox_batches WHERE error IS NULL ORDER BY id LIMIT 1;");
            _deleteBatch = Command(connection, "DELETE FROM inbox_batches WHERE id = $id;");
            _deleteBatchId = _deleteBatch.Parameters.Add("$id", SqliteType.Integer);
            _setBatchError = Command(connection, "UPDATE inbox_batches SET error = $error WHERE id = $id;");
            _setBatchErrorId = _setBatchError.Parameters.Add("$id", SqliteType.Integer);
            _setBatchErrorText = _setBatchError.Parameters.Add("$error", SqliteType.Text);

            _complete = Command(connection, "UPDATE inbox SET status = 2, locked_until = NULL, finished_at = $now WHERE id = $id;");
            _completeId = _complete.Parameters.Add("$id", SqliteType.Integer);
            _completeNow = _complete.Parameters.Add("$now", SqliteType.Integer);

            _claim = Command(connection, ClaimSql);
            _claimNow = _claim.Parameters.Add("$now", SqliteType.Integer);
            _claimUntil = _claim.Parameters.Add("$until", SqliteType.Integer);
            _claimMax = _claim.Parameters.Add("$max", SqliteType.Integer);

            _setKey = Command(connection, "UPDATE inbox SET dedup_key = $key WHERE id = $id;");
            _setKeyId = _setKey.Parameters.Add("$id", SqliteType.Integer);
            _setKeyKey = _setKey.Parameters.Add("$key", SqliteType.Text);

            // The key's holder: the item that recorded it first (DO UPDATE, a no-op, makes RETURNING name it on a conflict).
            _holdKey = Command(connection, """
                INSERT INTO inbox_keys (dedup_key, inbox_id, claimed_at) VALUES ($key, $id, $now)
                ON CONFLICT (dedup_key) DO UPDATE SET inbox_id = inbox_id
                RETURNING inbox_id;
                """);
            _holdKeyKey = _holdKey.Parameters.Add("$key", SqliteType.Text);
            _holdKeyId = _holdKey.Parameters.Add("$id", SqliteType.Integer);
            _holdKeyNow = _holdKey.Parameters.Add("$now", SqliteType.Integer);

            _duplicate = Command(connection, """
                UPDATE inbox SET status = 2, locked_until = NULL, finished_at = $now, last_error = 'duplicate of item ' || $of
                WHERE id = $id;
                """);
            _duplicateId = _duplicate.Parameters.Add("$id", SqliteType.Integer);
            _duplicateOf = _duplicate.Parameters.Add("$of", SqliteType.Integer);
            _duplicateNow = _duplicate.Parameters.Add("$now", SqliteType.Integer);

            // Outside the rounds (no transaction); prepared like the others.
            _checkpoint = connection.CreateCommand();
            _checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            _checkpoint.Prepare();
        }

        /// <summary>Gives <paramref name="transaction"/> to every command of the round and stores its time.</summary>
        public void Begin(SqliteTransaction transaction, long nowMs)
        {
            foreach (var command in _roundCommands)
            {
                command.Transaction = transaction;
            }

            _nowMs = nowMs;
            object now = nowMs;
            _insertNow.Value = _received.Value = _batchNow.Value = _completeNow.Value = now;
            _holdKeyNow.Value = _claimNow.Value = _duplicateNow.Value = now;
        }

        public void Insert(InboxEntry entry)
        {
            _key.Value = (object?)entry.DedupKey ?? DBNull.Value;
            _kind.Value = (int)entry.Kind;
            _subscription.Value = entry.SubscriptionId.ToString();
            _payload.Value = entry.Payload;
            _tokens.Value = (object?)entry.ValidationTokens ?? DBNull.Value;
            _insert.ExecuteNonQuery();
        }

        public void InsertBatch(ReadOnlyMemory<byte> items, int itemCount)
        {
            _batchCount.Value = itemCount;
            _batchItems.Value = items;
            _insertBatch.ExecuteNonQuery();
        }

        public void Complete(long id)
        {
            _completeId.Value = id;
            _complete.ExecuteNonQuery();
        }

        public ClaimedItems Claim(int max, TimeSpan lease)
        {
            var unreadable = SplitBatches(max);
            _claimUntil.Value = _nowMs + (long)lease.TotalMilliseconds;
            _claimMax.Value = max;
            var claimed = new List<InboxItem>(max);
            List<InboxItem>? keyed = null;
            using (var reader = _claim.ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add(SqliteInbox.ReadItem(reader, out var keyComputed));
                    if (keyComputed)
                    {
                        (keyed ??= []).Add(claimed[^1]);
                    }
                }
            }

            // Keys computed now (stored without one) are kept: a later claim of the item finds the same key.
            foreach (var item in keyed ?? [])
            {
                _setKeyKey.Value = item.DedupKey;
                _setKeyId.Value = item.Id;
                _setKey.ExecuteNonQuery();
            }

            claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
            var items = new List<InboxItem>(claimed.Count);
            List<DuplicateItem>? duplicates = null;
            foreach (var item in claimed)
            {
                var holder = HoldKey(item);
                if (holder == item.Id)
                {
                    items.Add(item);
                    continue;
                }

                _duplicateId.Value = item.Id;
                _duplicateOf.Value = holder;
                _duplicate.ExecuteNonQuery();
                (duplicates ??= []).Add(new DuplicateItem(item, holder));
            }

            return new ClaimedItems(items, duplicates ?? [], unreadable ?? []);
        }

        /// <summary>Splits the oldest stored batches into item rows (received when the batch was), until at least
        /// <paramref name="atLeast"/> items came out or none is left. A batch that cannot be read keeps its row, with the
        /// reason (it names lengths and offsets, never content), and is returned: it must not stop every later claim.</summary>
        private List<UnreadableBatch>? SplitBatches(int atLeast)
        {
            var split = 0;
            List<UnreadableBatch>? unreadable = null;
            try
            {
                while (split < atLeast && ReadOldestBatch() is { } batch)
                {
                    _received.Value = batch.ReceivedAt;
                    List<InboxEntry> entries;
                    try
                    {
                        entries = InboxBatchCodec.Decode(batch.Items);
                    }
                    catch (InvalidDataException ex)
                    {
                        _setBatchErrorId.Value = batch.Id;
                        _setBatchErrorText.Value = ex.Message;
                        _setBatchError.ExecuteNonQuery();
                        (unreadable ??= []).Add(new UnreadableBatch(batch.Id, batch.ItemCount, ex.Message));
                        continue;
                    }

                    foreach (var entry in entries)
                    {
                        Insert(entry);
                    }

                    _deleteBatchId.Value = batch.Id;
                    _deleteBatch.ExecuteNonQuery();
                    split += entries.Count;
                }
            }
            finally
            {
                _received.Value = _nowMs;
            }

            return unreadable;
        }

        /// <summary>The oldest stored batch that can still be split, or none; its reader is closed before its items are
        /// inserted.</summary>
        private StoredBatch? ReadOldestBatch()
        {
            using var reader = _oldestBatch.ExecuteReader();
            return reader.Read()
                ? new StoredBatch(reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2), reader.GetInt64(3))
                : null;
        }

        /// <summary>Records the item's dedup key unless an item holds it; returns the holder's id.</summary>
        private long HoldKey(InboxItem item)
        {
            _holdKeyKey.Value = item.DedupKey;
            _holdKeyId.Value = item.Id;
            return _holdKey.ExecuteScalar() is long holder
                ? holder
                : throw new InvalidOperationException("The dedup key's holder was not returned.");
        }

        /// <summary>Runs the checkpoint; a failure is left to the next one (see <see cref="SqliteInboxWriter.Checkpoint"/>).</summary>
        public void Checkpoint()
        {
            try
            {
                _checkpoint.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                // Not checked: the frames it did not copy are the next checkpoint's.
            }
        }

        public void Dispose()
        {
            foreach (var command in _roundCommands)
            {
                command.Dispose();
            }

            _checkpoint.Dispose();
        }

        /// <summary>A command of the round, prepared now.</summary>
        private SqliteCommand Command(SqliteConnection connection, string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Prepare();
            _roundCommands.Add(command);
            return command;
        }

        private sealed record StoredBatch(long Id, long ReceivedAt, byte[] Items, long ItemCount);
    }
}

/// <summary>What a claim took: the items to handle, those it found to be redeliveries of a held dedup key, and the stored
/// batches it could not split (kept, counted among the dead).</summary>
internal sealed record ClaimedItems(List<InboxItem> Items, IReadOnlyList<DuplicateItem> Duplicates, IReadOnlyList<UnreadableBatch> Unreadable);

/// <summary>A stored batch of <paramref name="ItemCount"/> items that a claim could not read, and why.</summary>
internal sealed record UnreadableBatch(long Id, long ItemCount, string Reason);

/// <summary>An item claimed and marked done because item <paramref name="HolderId"/> holds its dedup key.</summary>
internal sealed record DuplicateItem(InboxItem Item, long HolderId);
