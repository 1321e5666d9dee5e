using System.Buffers;
using System.Text;
using System.Threading.Channels;
using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// The SQLite inbox. Appends from concurrent requests and the dispatcher's completions are queued and written by one
/// writer, over one long-lived connection, in one transaction per round (group commit): one fsync acknowledges every
/// request of the round, and the dispatcher's claims and completions ride along (no lock to wait for between them and
/// the appends). Retries, dead letters and maintenance use their own short transactions.
/// </summary>
internal sealed partial class SqliteInbox : IInbox, IAsyncDisposable
{
    private const int MaxEntriesPerCommit = 2_000;

    /// <summary>A request of at least this many change notifications is stored as one row (<see cref="InboxBatchCodec"/>).</summary>
    internal const int MinItemsPerBatchRow = 2;

    private readonly TimeProvider _time;
    private readonly ILogger<SqliteInbox> _logger;
    private readonly InboxMetrics _metrics;
    private readonly SqliteDatabase _database;
    private readonly SqliteInboxWriter _writer;
    private readonly Channel<PendingWrite> _pending = Channel.CreateUnbounded<PendingWrite>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<Task> _writeLoop;
    private int _disposed;
    private readonly SemaphoreSlim _releaseGate = new(1, 1);
    private volatile bool _claimsReleased;

    public SqliteInbox(SqliteDatabase database, TimeProvider time, ILogger<SqliteInbox> logger, InboxMetrics metrics)
    {
        _database = database;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _writer = new SqliteInboxWriter(database);
        _lastCheckpoint = time.GetTimestamp();
        _writeLoop = new Lazy<Task>(() => Task.Run(WriteLoopAsync), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public Task AppendAsync(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return entries.Count == 0 ? Task.CompletedTask : EnqueueAsync(new PendingAppend(entries), cancellationToken);
    }

    public Task CompleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return ids.Count == 0 ? Task.CompletedTask : EnqueueAsync(new PendingCompletion(ids), cancellationToken);
    }

    private Task<T> EnqueueAsync<T>(PendingWrite<T> pending, CancellationToken cancellationToken)
    {
        _ = _writeLoop.Value;
        pending.CancelOn(cancellationToken);
        if (!_pending.Writer.TryWrite(pending))
        {
            pending.Fail(new InboxUnavailableException("The inbox is shutting down."));
        }

        return pending.Completion.Task;
    }

    /// <summary>Called on the writer's loop with the number of writes of a round it has taken, before it writes them
    /// (tests hold the writer there).</summary>
    internal Action<int>? RoundTaken { get; init; }

    /// <summary>Whether a write is queued that the writer has not taken yet (the channel has one reader: only while the
    /// writer is held in <see cref="RoundTaken"/>).</summary>
    internal bool HasQueuedWrites => _pending.Reader.TryPeek(out _);

    /// <summary>How long the writer waits after a checkpoint before the next one it runs while idle.</summary>
    internal TimeSpan IdleCheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    private long _lastCheckpoint;
    private bool _uncheckpointed;

    /// <summary>
    /// Copies the WAL into the database file (a PASSIVE checkpoint) when nothing waits for the writer, at most every
    /// <see cref="IdleCheckpointInterval"/>. SQLite's own checkpoint runs inside the commit that takes the WAL past
    /// 1 000 pages: the commit's callers wait for it and its fsyncs, and so does every request behind them. Run while idle, the WAL rarely gets there; under a continuous load SQLite's stays the bound.
    /// </summary>
    private void CheckpointIfIdle(ChannelReader<PendingWrite> reader)
    {
        if (!_uncheckpointed || reader.TryPeek(out _) || _time.GetElapsedTime(_lastCheckpoint) < IdleCheckpointInterval)
        {
            return;
        }

        var started = _time.GetTimestamp();
        _writer.Checkpoint();
        _uncheckpointed = false;
        _lastCheckpoint = _time.GetTimestamp();
        _metrics.Checkpointed(_time.GetElapsedTime(started, _lastCheckpoint));
    }

    private async Task WriteLoopAsync()
    {
        var round = new List<PendingWrite>();
        var reader = _pending.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                round.Clear();
                var count = 0;
                while (count < MaxEntriesPerCommit && reader.TryRead(out var next))
                {
                    // A caller that stopped waiting before its write was taken (the store timeout's 503) is left out.
                    if (next.TryTake())
                    {
                        round.Add(next);
                        count += next.Count;
                    }
                }

                if (round.Count > 0)
                {
                    RoundTaken?.Invoke(round.Count);
                    if (await CommitRoundAsync(round))
                    {
                        _uncheckpointed = true;
                    }
                }

                CheckpointIfIdle(reader);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }

        while (reader.TryRead(out var left))
        {
            left.Fail(new InboxUnavailableException("The inbox is shutting down."));
        }
    }

    /// <summary>Writes and commits the round, then answers its callers; false when it failed (all answered with the
    /// failure).</summary>
    private async Task<bool> CommitRoundAsync(List<PendingWrite> round)
    {
        long started;
        try
        {
            await _writer.EnsureOpenAsync(_stopping.Token);
            started = _time.GetTimestamp();
            _writer.Begin(_time.GetUtcNow());
            foreach (var pending in round)
            {
                pending.Write(_writer);
            }

            _writer.Commit();
        }
        catch (Exception ex)
        {
            // Any failure (or a stop that could not wait) ends the round, rolled back, never the loop: every caller of
            // the round gets its answer, and the next round opens a new connection.
            LogWriteFailed(_logger, ex, round.Count);
            await _writer.ResetAsync();
            foreach (var pending in round)
            {
                pending.Fail(new InboxUnavailableException("The inbox could not store the batch.", ex));
            }

            return false;
        }

        _metrics.RoundCommitted(round.Count, _time.GetElapsedTime(started));
        foreach (var pending in round)
        {
            pending.Succeed();
        }

        return true;
    }

    /// <summary>Runs in the writer's next round (it shares its transaction, and there is no lock to wait for between
    /// the claim and the appends). A caller that gives up waiting may leave the items claimed until their lease runs out
    /// or the next start releases them.</summary>
    public async Task<IReadOnlyList<InboxItem>> ClaimAsync(int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        if (!_claimsReleased)
        {
            await ReleaseAbandonedClaimsOnceAsync(cancellationToken);
        }

        while (true)
        {
            var claimed = await EnqueueAsync(new PendingClaim(max, lease), cancellationToken);
            foreach (var batch in claimed.Unreadable)
            {
                LogUnreadableBatch(_logger, batch.Id, batch.ItemCount, batch.Reason);
            }
            foreach (var duplicate in claimed.Duplicates)
            {
                LogDuplicate(_logger, duplicate.Item.Id, duplicate.Item.SubscriptionId, duplicate.HolderId);
            }

            // Only redeliveries (now marked done): an empty answer would read as "nothing ready" to the dispatcher,
            // which would then wait for its poll though more items may be ready behind them.
            if (claimed.Items.Count > 0 || claimed.Duplicates.Count == 0)
            {
                return claimed.Items;
            }
        }
    }

    public Task RetryLaterAsync(long id, DateTimeOffset notBefore, string error, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE inbox SET status = 0, locked_until = NULL, not_before = $nb, last_error = $err WHERE id = $id;",
            cancellationToken,
            ("$id", id),
            ("$nb", UnixTime.ToMs(notBefore)),
            ("$err", error));

    public Task DeadLetterAsync(long id, string reason, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE inbox SET status = 3, locked_until = NULL, last_error = $err, finished_at = $now WHERE id = $id;",
            cancellationToken,
            ("$id", id),
            ("$err", reason),
            ("$now", UnixTime.ToMs(_time.GetUtcNow())));

    public Task<int> ReplayDeadLettersAsync(Guid? subscriptionId, CancellationToken cancellationToken) =>
        ExecuteAsync(
            """
            UPDATE inbox SET status = 0, attempts = 0, not_before = $now, finished_at = NULL
            WHERE status = 3 AND ($sub IS NULL OR subscription_id = $sub);
            """,
            cancellationToken,
            ("$now", UnixTime.ToMs(_time.GetUtcNow())),
            ("$sub", (object?)subscriptionId?.ToString() ?? DBNull.Value));

    /// <summary>
    /// Before this instance's first claim, makes every claimed item ready again: one process owns the file, so a claim
    /// found in it was left by a process that stopped, and its items (handled or not) are handled again. A failure is
    /// the claim's, and the next claim tries again.
    /// </summary>
    private async Task ReleaseAbandonedClaimsOnceAsync(CancellationToken cancellationToken)
    {
        await _releaseGate.WaitAsync(cancellationToken);
        try
        {
            if (_claimsReleased)
            {
                return;
            }

            var released = await ExecuteAsync("UPDATE inbox SET status = 0, locked_until = NULL WHERE status = 1;", cancellationToken);
            if (released > 0)
            {
                LogReleased(_logger, released);
            }

            _claimsReleased = true;
        }
        finally
        {
            _releaseGate.Release();
        }
    }

    /// <summary>
    /// Rows of each table a purge deletes per transaction. A transaction holds the file's write lock, which the writer's
    /// rounds (the acknowledgements) wait for: one DELETE of everything past the retention, after hours of a sustained
    /// load, would hold it for seconds, past the store timeout.
    /// </summary>
    internal int PurgeChunkSize { get; init; } = 5_000;

    /// <summary>Between two chunks, long enough for a writer waiting on the lock (SQLite's busy handler sleeps up to
    /// 25 ms at a time in its first retries) to take it before the next chunk does.</summary>
    internal TimeSpan PurgePause { get; init; } = TimeSpan.FromMilliseconds(50);

    public async Task<int> PurgeCompletedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var before = UnixTime.ToMs(olderThan);
        var purged = 0;
        while (true)
        {
            var (items, keys) = await PurgeChunkAsync(before, cancellationToken);
            purged += items;
            if (items < PurgeChunkSize && keys < PurgeChunkSize)
            {
                return purged;
            }

            await Task.Delay(PurgePause, cancellationToken);
        }
    }

    /// <summary>Up to <see cref="PurgeChunkSize"/> items and as many keys, in one transaction.</summary>
    private async Task<(int Items, int Keys)> PurgeChunkAsync(long before, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.Parameters.AddWithValue("$before", before);
        command.Parameters.AddWithValue("$chunk", PurgeChunkSize);
        command.CommandText = "DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE status = 2 AND finished_at < $before LIMIT $chunk);";
        var items = await command.ExecuteNonQueryAsync(cancellationToken);
        command.CommandText = "DELETE FROM inbox_keys WHERE dedup_key IN (SELECT dedup_key FROM inbox_keys WHERE claimed_at < $before LIMIT $chunk);";
        var keys = await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (items, keys);
    }

    public async Task<InboxCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT status, COUNT(*) FROM inbox GROUP BY status
            UNION ALL SELECT CASE WHEN error IS NULL THEN 0 ELSE 3 END, SUM(item_count) FROM inbox_batches GROUP BY error IS NULL;
            """;
        var counts = new long[4];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetInt32(0)] += reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
        }

        return new InboxCounts(counts[0], counts[1], counts[2], counts[3]);
    }

    public async Task<IReadOnlyList<InboxItem>> ListDeadLettersAsync(int max, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $$"""
            SELECT {{ItemColumns}}
            FROM inbox WHERE status = 3 ORDER BY id DESC LIMIT $max;
            """;
        command.Parameters.AddWithValue("$max", max);
        return await ReadItemsAsync(command, cancellationToken);
    }

    /// <summary>The columns <see cref="ReadItem"/> reads, in its order.</summary>
    internal const string ItemColumns = "id, dedup_key, kind, subscription_id, payload, validation_tokens, attempts, received_at, status, last_error";

    internal static InboxItem ReadItem(SqliteDataReader reader) => ReadItem(reader, out _);

    /// <summary>The item of the reader's row; an item stored without its dedup key gets it here, from its payload parsed
    /// (<paramref name="keyComputed"/> true: the claim keeps it), and the item keeps that parse.</summary>
    internal static InboxItem ReadItem(SqliteDataReader reader, out bool keyComputed)
    {
        var subscriptionId = Guid.Parse(reader.GetString(3));
        var kind = (InboxItemKind)reader.GetInt32(2);
        var payload = reader.GetString(4);
        keyComputed = reader.IsDBNull(1);
        var parsed = keyComputed ? StoredNotification.Parse(subscriptionId, kind == InboxItemKind.Change, payload) : null;
        var item = new InboxItem(
            Id: reader.GetInt64(0),
            DedupKey: parsed?.DedupKey ?? reader.GetString(1),
            Kind: kind,
            SubscriptionId: subscriptionId,
            Payload: payload,
            ValidationTokens: reader.IsDBNull(5) ? null : reader.GetString(5),
            Attempts: reader.GetInt32(6),
            ReceivedAt: UnixTime.FromMs(reader.GetInt64(7)),
            Status: (InboxItemStatus)reader.GetInt32(8),
            LastError: reader.IsDBNull(9) ? null : reader.GetString(9));
        return parsed is null ? item : item with { Parsed = parsed };
    }

    private static async Task<List<InboxItem>> ReadItemsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var items = new List<InboxItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadItem(reader));
        }

        return items;
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // Idempotent: a second dispose finds the writer already stopped.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _pending.Writer.TryComplete();
        var stopped = true;
        if (_writeLoop.IsValueCreated && !await StoppedWithinAsync(TimeSpan.FromSeconds(10)))
        {
            await _stopping.CancelAsync();
            stopped = await StoppedWithinAsync(TimeSpan.FromSeconds(10));
        }

        await _stopping.CancelAsync();
        if (stopped)
        {
            // A loop still inside a write keeps its connection: the process is ending anyway.
            await _writer.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task<bool> StoppedWithinAsync(TimeSpan timeout)
    {
        var loop = _writeLoop.Value;
        return await Task.WhenAny(loop, Task.Delay(timeout, CancellationToken.None)) == loop;
    }

    // 2001, in the dispatcher's range of ids: the line is about handling, and operators know it by this id.
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Released {Count} inbox items claimed by a process that stopped; they are handled again")]
    private static partial void LogReleased(ILogger logger, int count);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Inbox item {ItemId} of subscription {SubscriptionId} is a redelivery of item {HolderId} (same dedup key): marked done, not handled again")]
    private static partial void LogDuplicate(ILogger logger, long itemId, Guid subscriptionId, long holderId);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Stored batch {BatchId} of {ItemCount} notifications cannot be read ({Reason}); it is kept in inbox_batches, counted as dead, and no claim tries it again")]
    private static partial void LogUnreadableBatch(ILogger logger, long batchId, long itemCount, string reason);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Inbox write of {RequestCount} batches failed; they are answered 503 so Graph retries")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int requestCount);

    /// <summary>What one caller queued for the writer's next round.</summary>
    private abstract class PendingWrite
    {
        /// <summary>Rows it writes (a round holds at most <see cref="MaxEntriesPerCommit"/>, unless one caller asks for more).</summary>
        public abstract int Count { get; }

        /// <summary>Writes it inside the round's transaction.</summary>
        public abstract void Write(SqliteInboxWriter writer);

        /// <summary>The round committed: the caller's task completes.</summary>
        public abstract void Succeed();

        public abstract void Fail(Exception exception);

        /// <summary>The writer takes it into a round; false when its caller withdrew it first (it is never written).</summary>
        public abstract bool TryTake();
    }

    private abstract class PendingWrite<T> : PendingWrite
    {
        private const int Queued = 0;
        private const int Taken = 1;
        private const int Withdrawn = 2;

        private CancellationTokenRegistration _cancellation;
        private int _state;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>
        /// The caller stops waiting when <paramref name="cancellationToken"/> fires. A write the writer has not taken
        /// yet is withdrawn (never written); one it has taken may still commit. A registration on the caller's token
        /// rather than <c>Task.WaitAsync</c>: no second task and promise per acknowledgement.
        /// </summary>
        public void CancelOn(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.UnsafeRegister(
                    static (state, token) => ((PendingWrite<T>)state!).Cancel(token), this);
            }
        }

        public override bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        private void Cancel(CancellationToken token)
        {
            if (Interlocked.CompareExchange(ref _state, Withdrawn, Queued) == Queued)
            {
                OnWithdrawn();
            }

            Completion.TrySetCanceled(token);
        }

        /// <summary>Releases what a withdrawn write holds (it is never written).</summary>
        protected virtual void OnWithdrawn()
        {
        }

        public override void Fail(Exception exception)
        {
            _cancellation.Unregister();
            Completion.TrySetException(exception);
        }

        protected void Succeed(T result)
        {
            // Off the token (the store timeout's is shared by every request of its slice) before answering.
            _cancellation.Unregister();
            Completion.TrySetResult(result);
        }
    }

    /// <summary>
    /// A request's entries. Its change notifications, if there are at least <see cref="MinItemsPerBatchRow"/>, are
    /// encoded here, on the caller's thread, and written as one row (the writer's insert is the acknowledgement's
    /// bottleneck under batches: one row a request instead of one an item); lifecycle events always get their own rows,
    /// which the claim takes first.
    /// </summary>
    private sealed class PendingAppend : PendingWrite<bool>
    {
        private readonly IReadOnlyList<InboxEntry> _rows;
        private readonly int _count;
        private byte[]? _batch;
        private readonly int _batchLength;
        private readonly int _batchItems;

        public PendingAppend(IReadOnlyList<InboxEntry> entries)
        {
            // Everything kept is copied here, before AppendAsync returns: the caller may reuse the payloads' memory.
            _count = entries.Count;
            var changes = 0;
            for (var i = 0; i < entries.Count; i++)
            {
                changes += entries[i].Kind == InboxItemKind.Change ? 1 : 0;
            }

            if (changes < MinItemsPerBatchRow)
            {
                _rows = OwnCopies(entries);
                return;
            }

            var batched = entries;
            if (changes < entries.Count)
            {
                batched = [.. entries.Where(e => e.Kind == InboxItemKind.Change)];
                _rows = OwnCopies([.. entries.Where(e => e.Kind != InboxItemKind.Change)]);
            }
            else
            {
                _rows = [];
            }

            _batch = InboxBatchCodec.Encode(batched, out _batchLength);
            _batchItems = batched.Count;
        }

        public override int Count => _count;

        private static InboxEntry[] OwnCopies(IReadOnlyList<InboxEntry> entries)
        {
            var copies = new InboxEntry[entries.Count];
            for (var i = 0; i < entries.Count; i++)
            {
                copies[i] = entries[i] with { Payload = entries[i].Payload.ToArray() };
            }

            return copies;
        }

        public override void Write(SqliteInboxWriter writer)
        {
            // By index: a foreach over the interface boxes the list's enumerator, once per request.
            for (var i = 0; i < _rows.Count; i++)
            {
                writer.Insert(_rows[i]);
            }

            if (_batch is { } batch)
            {
                try
                {
                    writer.InsertBatch(batch.AsMemory(0, _batchLength), _batchItems);
                }
                finally
                {
                    _batch = null;
                    ArrayPool<byte>.Shared.Return(batch);
                }
            }
        }

        public override void Succeed() => Succeed(true);

        protected override void OnWithdrawn()
        {
            if (Interlocked.Exchange(ref _batch, null) is { } batch)
            {
                ArrayPool<byte>.Shared.Return(batch);
            }
        }
    }

    private sealed class PendingCompletion(IReadOnlyCollection<long> ids) : PendingWrite<bool>
    {
        public override int Count => ids.Count;

        public override void Write(SqliteInboxWriter writer)
        {
            foreach (var id in ids)
            {
                writer.Complete(id);
            }
        }

        public override void Succeed() => Succeed(true);
    }

    private sealed class PendingClaim(int max, TimeSpan lease) : PendingWrite<ClaimedItems>
    {
        private ClaimedItems _items = new([], [], []);
        private Exception? _unreadable;

        public override int Count => max;

        public override void Write(SqliteInboxWriter writer)
        {
            try
            {
                _items = writer.Claim(max, lease);
            }
            catch (Exception ex) when (ex is FormatException or InvalidCastException)
            {
                // A row that cannot be read fails this claim (its items stay claimed until the lease runs out, as an
                // autocommitted claim did), not the appends sharing the round.
                _unreadable = ex;
            }
        }

        public override void Succeed()
        {
            if (_unreadable is null)
            {
                Succeed(_items);
            }
            else
            {
                Fail(_unreadable);
            }
        }
    }
}
