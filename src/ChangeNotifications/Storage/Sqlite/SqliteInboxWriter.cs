using ChangeNotifications.Inbox;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// The connection of the inbox's single writer, kept open with its statements prepared (insert, insert and split a
/// batch, complete, claim and its dedup keys): a round costs one transaction and its fsync, not an open, its pragmas
/// and a prepare. The statements of every round and every row (BEGIN, COMMIT, the insert, the completion, the claim's
/// key) run through SQLite's own API (<see cref="SqliteRawStatement"/>), so the transaction is SQLite's, not a
/// <see cref="SqliteTransaction"/>. After a failed round the connection is rolled back, dropped and opened again for
/// the next one. Not thread-safe: only the write loop uses it.
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
    private bool _inRound;

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
            // Closed for good, not pooled: statements prepared before the one that failed may still be open on it.
            SqliteConnection.ClearPool(connection);
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the round's transaction; <paramref name="now"/> is the time stored on its rows.</summary>
    public void Begin(DateTimeOffset now)
    {
        var statements = _statements ?? throw new InvalidOperationException("The inbox writer is not open.");
        statements.Begin(UnixTime.ToMs(now));
        _inRound = true;
    }

    /// <summary>Inserts <paramref name="entry"/> (a redelivered item too: the claim recognises it).</summary>
    public void Insert(InboxEntry entry) => Current.Insert(entry);

    /// <summary>Inserts <paramref name="itemCount"/> change notifications as one row (<see cref="InboxBatchCodec"/>'s
    /// <paramref name="items"/>); a claim splits it into item rows.</summary>
    public void InsertBatch(ReadOnlySpan<byte> items, int itemCount) => Current.InsertBatch(items, itemCount);

    /// <summary>Marks the item done.</summary>
    public void Complete(long id) => Current.Complete(id);

    /// <summary>
    /// Claims up to <paramref name="max"/> ready items (due, or whose lease ran out) for <paramref name="lease"/>, in id
    /// order, and records their dedup keys; an item whose key an earlier item holds is marked done, not returned.
    /// Stored batches are split first, oldest first, until at least <paramref name="max"/> items came out of them (or
    /// none is left): their items join the ready ones at the end, and batches do not wait behind a stream of items.
    /// </summary>
    public ClaimedItems Claim(int max, TimeSpan lease) => Current.Claim(max, lease);

    public void Commit()
    {
        Current.Commit();
        _inRound = false;
    }

    /// <summary>Drops the connection after a failed round (its transaction rolled back first: the connection goes back to
    /// the pool); the next round opens a new one.</summary>
    public async ValueTask ResetAsync()
    {
        if (_connection?.Handle is { } db && raw.sqlite3_get_autocommit(db) == 0)
        {
            raw.sqlite3_exec(db, "ROLLBACK;");
        }

        _inRound = false;
        _statements?.Dispose();
        _statements = null;
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    public ValueTask DisposeAsync() => ResetAsync();

    /// <summary>A PASSIVE checkpoint on the writer's connection, between rounds: it copies what no reader still needs and
    /// waits for nobody. Its result is not checked: one that copies less (a reader) or fails leaves the frames to the next
    /// one, and SQLite's automatic checkpoint bounds the WAL.</summary>
    public void Checkpoint()
    {
        if (_connection?.Handle is { } db && !_inRound)
        {
            raw.sqlite3_wal_checkpoint_v2(db, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
        }
    }

    private Statements Current => _inRound ? _statements! : throw new InvalidOperationException("No round is open.");

    /// <summary>The prepared begin, commit, insert, complete, claim and key statements, with their parameters.</summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteRawStatement _begin;
        private readonly SqliteRawStatement _commit;
        private readonly SqliteRawStatement _insert;
        private readonly int _received;
        private readonly int _key;
        private readonly int _kind;
        private readonly int _subscription;
        private readonly int _payload;
        private readonly int _tokens;
        private readonly int _insertNow;
        private readonly SqliteRawStatement _insertBatch;
        private readonly int _batchCount;
        private readonly int _batchItems;
        private readonly int _batchNow;
        private readonly SqliteRawStatement _oldestBatch;
        private readonly SqliteRawStatement _deleteBatch;
        private readonly int _deleteBatchId;
        private readonly SqliteRawStatement _setBatchError;
        private readonly int _setBatchErrorId;
        private readonly int _setBatchErrorText;
        private readonly SqliteRawStatement _complete;
        private readonly int _completeId;
        private readonly int _completeNow;
        private readonly SqliteCommand _claim;
        private readonly SqliteRawStatement _setKey;
        private readonly int _setKeyId;
        private readonly int _setKeyKey;
        private readonly SqliteRawStatement _holdKey;
        private readonly int _holdKeyKey;
        private readonly int _holdKeyId;
        private readonly int _holdKeyNow;
        private readonly SqliteCommand _duplicate;
        private readonly SqliteParameter _duplicateId;
        private readonly SqliteParameter _duplicateOf;
        private readonly SqliteParameter _duplicateNow;
        private readonly SqliteParameter _claimNow;
        private readonly SqliteParameter _claimUntil;
        private readonly SqliteParameter _claimMax;
        private long _nowMs;

        public Statements(SqliteConnection connection)
        {
            _begin = new SqliteRawStatement(connection, "BEGIN IMMEDIATE;");
            _commit = new SqliteRawStatement(connection, "COMMIT;");
            _insert = new SqliteRawStatement(connection, """
                INSERT INTO inbox (dedup_key, kind, subscription_id, payload, validation_tokens, received_at, not_before)
                VALUES ($key, $kind, $sub, $payload, $tokens, $received, $now);
                """);
            _received = _insert.IndexOf("$received");
            _key = _insert.IndexOf("$key");
            _kind = _insert.IndexOf("$kind");
            _subscription = _insert.IndexOf("$sub");
            _payload = _insert.IndexOf("$payload");
            _tokens = _insert.IndexOf("$tokens");
            _insertNow = _insert.IndexOf("$now");

            _insertBatch = new SqliteRawStatement(connection, "INSERT INTO inbox_batches (item_count, received_at, items) VALUES ($count, $now, $items);");
            _batchCount = _insertBatch.IndexOf("$count");
            _batchItems = _insertBatch.IndexOf("$items");
            _batchNow = _insertBatch.IndexOf("$now");
            _oldestBatch = new SqliteRawStatement(connection, "SELECT id, received_at, items, item_count FROM inbox_batches WHERE error IS NULL ORDER BY id LIMIT 1;");
            _deleteBatch = new SqliteRawStatement(connection, "DELETE FROM inbox_batches WHERE id = $id;");
            _deleteBatchId = _deleteBatch.IndexOf("$id");
            _setBatchError = new SqliteRawStatement(connection, "UPDATE inbox_batches SET error = $error WHERE id = $id;");
            _setBatchErrorId = _setBatchError.IndexOf("$id");
            _setBatchErrorText = _setBatchError.IndexOf("$error");

            _complete = new SqliteRawStatement(connection, "UPDATE inbox SET status = 2, locked_until = NULL, finished_at = $now WHERE id = $id;");
            _completeId = _complete.IndexOf("$id");
            _completeNow = _complete.IndexOf("$now");

            _claim = connection.CreateCommand();
            _claim.CommandText = ClaimSql;
            _claimNow = _claim.Parameters.Add("$now", SqliteType.Integer);
            _claimUntil = _claim.Parameters.Add("$until", SqliteType.Integer);
            _claimMax = _claim.Parameters.Add("$max", SqliteType.Integer);

            _setKey = new SqliteRawStatement(connection, "UPDATE inbox SET dedup_key = $key WHERE id = $id;");
            _setKeyId = _setKey.IndexOf("$id");
            _setKeyKey = _setKey.IndexOf("$key");

            // The key's holder: the item that recorded it first (DO UPDATE, a no-op, makes RETURNING name it on a conflict).
            _holdKey = new SqliteRawStatement(connection, """
                INSERT INTO inbox_keys (dedup_key, inbox_id, claimed_at) VALUES ($key, $id, $now)
                ON CONFLICT (dedup_key) DO UPDATE SET inbox_id = inbox_id
                RETURNING inbox_id;
                """);
            _holdKeyKey = _holdKey.IndexOf("$key");
            _holdKeyId = _holdKey.IndexOf("$id");
            _holdKeyNow = _holdKey.IndexOf("$now");

            _duplicate = connection.CreateCommand();
            _duplicate.CommandText = """
                UPDATE inbox SET status = 2, locked_until = NULL, finished_at = $now, last_error = 'duplicate of item ' || $of
                WHERE id = $id;
                """;
            _duplicateId = _duplicate.Parameters.Add("$id", SqliteType.Integer);
            _duplicateOf = _duplicate.Parameters.Add("$of", SqliteType.Integer);
            _duplicateNow = _duplicate.Parameters.Add("$now", SqliteType.Integer);

            _claimNow.Value = _claimUntil.Value = _duplicateNow.Value = 0L;
            _duplicateId.Value = _duplicateOf.Value = 0L;
            _claimMax.Value = 1;
            _claim.Prepare();
            _duplicate.Prepare();
        }

        /// <summary>BEGIN IMMEDIATE; the commands run in SQLite's transaction (no <see cref="SqliteTransaction"/>).</summary>
        public void Begin(long nowMs)
        {
            _begin.Execute();
            _nowMs = nowMs;
            _insert.BindInt64(_insertNow, nowMs);
            _insert.BindInt64(_received, nowMs);
            _insertBatch.BindInt64(_batchNow, nowMs);
            _complete.BindInt64(_completeNow, nowMs);
            _holdKey.BindInt64(_holdKeyNow, nowMs);
            _claimNow.Value = _duplicateNow.Value = nowMs;
        }

        public void Commit() => _commit.Execute();

        public void Insert(InboxEntry entry)
        {
            _insert.BindTextOrNull(_key, entry.DedupKey);
            _insert.BindInt64(_kind, (int)entry.Kind);
            _insert.BindGuid(_subscription, entry.SubscriptionId);
            _insert.BindText(_payload, entry.Payload.Span);
            _insert.BindTextOrNull(_tokens, entry.ValidationTokens);

            _insert.Execute();
        }

        public void InsertBatch(ReadOnlySpan<byte> items, int itemCount)
        {
            _insertBatch.BindInt64(_batchCount, itemCount);
            _insertBatch.BindBlob(_batchItems, items);
            _insertBatch.Execute();
        }

        public void Complete(long id)
        {
            _complete.BindInt64(_completeId, id);
            _complete.Execute();
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
                _setKey.BindText(_setKeyKey, item.DedupKey);
                _setKey.BindInt64(_setKeyId, item.Id);
                _setKey.Execute();
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
                while (split < atLeast && _oldestBatch.Step())
                {
                    var id = _oldestBatch.ColumnInt64(0);
                    var itemCount = _oldestBatch.ColumnInt64(3);
                    _insert.BindInt64(_received, _oldestBatch.ColumnInt64(1));
                    var blob = _oldestBatch.ColumnBlob(2);
                    _oldestBatch.Reset();
                    List<InboxEntry> entries;
                    try
                    {
                        entries = InboxBatchCodec.Decode(blob);
                    }
                    catch (InvalidDataException ex)
                    {
                        _setBatchError.BindInt64(_setBatchErrorId, id);
                        _setBatchError.BindText(_setBatchErrorText, ex.Message);
                        _setBatchError.Execute();
                        (unreadable ??= []).Add(new UnreadableBatch(id, itemCount, ex.Message));
                        continue;
                    }

                    foreach (var entry in entries)
                    {
                        Insert(entry);
                    }

                    _deleteBatch.BindInt64(_deleteBatchId, id);
                    _deleteBatch.Execute();
                    split += entries.Count;
                }
            }
            finally
            {
                _oldestBatch.Reset();
                _insert.BindInt64(_received, _nowMs);
            }

            return unreadable;
        }

        /// <summary>Records the item's dedup key unless an item holds it; returns the holder's id.</summary>
        private long HoldKey(InboxItem item)
        {
            _holdKey.BindText(_holdKeyKey, item.DedupKey);
            _holdKey.BindInt64(_holdKeyId, item.Id);
            return _holdKey.ExecuteInt64();
        }

        public void Dispose()
        {
            _begin.Dispose();
            _commit.Dispose();
            _insert.Dispose();
            _insertBatch.Dispose();
            _oldestBatch.Dispose();
            _deleteBatch.Dispose();
            _setBatchError.Dispose();
            _complete.Dispose();
            _claim.Dispose();
            _setKey.Dispose();
            _holdKey.Dispose();
            _duplicate.Dispose();
        }
    }
}

/// <summary>What a claim took: the items to handle, those it found to be redeliveries of a held dedup key, and the stored
/// batches it could not split (kept, counted among the dead).</summary>
internal sealed record ClaimedItems(List<InboxItem> Items, IReadOnlyList<DuplicateItem> Duplicates, IReadOnlyList<UnreadableBatch> Unreadable);

/// <summary>A stored batch of <paramref name="ItemCount"/> items that a claim could not read, and why.</summary>
internal sealed record UnreadableBatch(long Id, long ItemCount, string Reason);

/// <summary>An item claimed and marked done because item <paramref name="HolderId"/> holds its dedup key.</summary>
internal sealed record DuplicateItem(InboxItem Item, long HolderId);
