using System.Text;
using System.Threading.Channels;
using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using Npgsql;
using NpgsqlTypes;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>
/// The PostgreSQL inbox, shared by every instance. Appends from concurrent requests are queued and written by one writer
/// in one round trip per round (group commit): one <c>INSERT … SELECT FROM unnest(…)</c> of every queued row and a
/// <c>NOTIFY</c> in one implicit transaction, durable when it returns (<c>synchronous_commit = on</c>). Any instance
/// claims with <c>FOR UPDATE SKIP LOCKED</c> and a lease (<c>locked_until</c>, on this process's clock): instances take
/// disjoint items, and an item whose holder stopped is taken again once its lease ran out, never before. There is no
/// release of claims at start: another instance may hold them.
/// </summary>
internal sealed partial class PostgresInbox : IInbox, IAsyncDisposable
{
    /// <summary>The channel a round notifies, which every instance's <see cref="PostgresListener"/> listens on.</summary>
    internal const string NotifyChannel = "cn_inbox";

    private const int MaxEntriesPerRound = 2_000;

    internal const string Columns = "id, dedup_key, kind, subscription_id, payload, validation_tokens, attempts, received_at, status, last_error";

    private const string InsertSql = $"""
        INSERT INTO inbox (dedup_key, kind, subscription_id, payload, validation_tokens, received_at, not_before)
        SELECT k, kd, s, p, t, $6, $6 FROM unnest($1::text[], $2::smallint[], $3::uuid[], $4::bytea[], $5::text[]) AS u(k, kd, s, p, t);
        """;

    /// <summary>Lifecycle events first (their own partial index), then ready items and items whose lease ran out, in id
    /// order; each source locks its rows with SKIP LOCKED, so concurrent claimers take different ones.</summary>
    private const string ClaimSql = $"""
        WITH lifecycle AS (
            SELECT id FROM inbox WHERE status = 0 AND kind = 1 AND not_before <= $1 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),
        ready AS (
            SELECT id FROM inbox WHERE status = 0 AND not_before <= $1 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),
        expired AS (
            SELECT id FROM inbox WHERE status = 1 AND locked_until <= $1 ORDER BY locked_until LIMIT $3 FOR UPDATE SKIP LOCKED),
        chosen AS (
            SELECT id FROM (SELECT id, 0 AS later FROM lifecycle UNION ALL SELECT id, 1 FROM ready UNION ALL SELECT id, 1 FROM expired) p
            GROUP BY id ORDER BY MIN(later), id LIMIT $3)
        UPDATE inbox SET status = 1, attempts = attempts + 1, locked_until = $2
        FROM chosen WHERE inbox.id = chosen.id
        RETURNING inbox.id, inbox.dedup_key, inbox.kind, inbox.subscription_id, inbox.payload, inbox.validation_tokens,
            inbox.attempts, inbox.received_at, inbox.status, inbox.last_error;
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresInbox> _logger;
    private readonly InboxMetrics _metrics;
    private readonly Channel<PendingAppend> _pending = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<Task> _writeLoop;
    private int _disposed;

    public PostgresInbox(NpgsqlDataSource dataSource, TimeProvider time, ILogger<PostgresInbox> logger, InboxMetrics metrics)
    {
        _dataSource = dataSource;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _writeLoop = new Lazy<Task>(() => Task.Run(WriteLoopAsync), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Rows of each table a purge deletes per transaction (short transactions, little to redo after a failure).</summary>
    internal int PurgeChunkSize { get; init; } = 5_000;

    /// <summary>Called on the writer's loop with the number of requests of a round, before it writes them (tests hold the
    /// writer there to queue several requests behind it).</summary>
    internal Action<int>? RoundTaken { get; init; }

    public Task AppendAsync(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        _ = _writeLoop.Value;
        var pending = new PendingAppend(entries, cancellationToken);
        if (!_pending.Writer.TryWrite(pending))
        {
            pending.Fail(new InboxUnavailableException("The inbox is shutting down."));
        }

        return pending.Completion.Task;
    }

    private async Task WriteLoopAsync()
    {
        var round = new List<PendingAppend>();
        var reader = _pending.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                round.Clear();
                var rows = 0;
                while (rows < MaxEntriesPerRound && reader.TryRead(out var next))
                {
                    // A caller that stopped waiting before its write was taken (the store timeout's 503) is left out.
                    if (next.TryTake())
                    {
                        round.Add(next);
                        rows += next.Entries.Length;
                    }
                }

                if (round.Count > 0)
                {
                    RoundTaken?.Invoke(round.Count);
                    await CommitRoundAsync(round, rows);
                }
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

    /// <summary>One round trip: the round's rows in one INSERT and a NOTIFY, in one implicit transaction.</summary>
    private async Task CommitRoundAsync(List<PendingAppend> round, int rows)
    {
        var keys = new string?[rows];
        var kinds = new short[rows];
        var subscriptions = new Guid[rows];
        var payloads = new byte[rows][];
        var tokens = new string?[rows];
        var i = 0;
        foreach (var pending in round)
        {
            foreach (var entry in pending.Entries)
            {
                keys[i] = entry.DedupKey;
                kinds[i] = (short)entry.Kind;
                subscriptions[i] = entry.SubscriptionId;
                payloads[i] = entry.Payload;
                tokens[i] = entry.ValidationTokens;
                i++;
            }
        }

        var started = _time.GetTimestamp();
        try
        {
            await using var batch = _dataSource.CreateBatch();
            var insert = new NpgsqlBatchCommand(InsertSql);
            insert.Parameters.Add(new NpgsqlParameter { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = kinds });
            insert.Parameters.Add(new NpgsqlParameter { Value = subscriptions });
            insert.Parameters.Add(new NpgsqlParameter { Value = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            insert.Parameters.Add(new NpgsqlParameter { Value = tokens, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = _time.GetUtcNow().ToUniversalTime() });
            batch.BatchCommands.Add(insert);
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {NotifyChannel}"));
            await batch.ExecuteNonQueryAsync(_stopping.Token);
        }
        catch (Exception ex)
        {
            // Any failure ends the round, never the loop: every caller of the round gets its answer (nothing of the round
            // was committed), and the next round takes a connection of its own from the pool.
            LogWriteFailed(_logger, ex, round.Count);
            foreach (var pending in round)
            {
                pending.Fail(new InboxUnavailableException("The inbox could not store the batch.", ex));
            }

            return;
        }

        _metrics.RoundCommitted(round.Count, _time.GetElapsedTime(started));
        foreach (var pending in round)
        {
            pending.Succeed();
        }
    }

    public async Task<IReadOnlyList<InboxItem>> ClaimAsync(int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        while (true)
        {
            var (items, duplicates) = await ClaimOnceAsync(max, lease, cancellationToken);
            foreach (var (item, holder) in duplicates)
            {
                LogDuplicate(_logger, item.Id, item.SubscriptionId, holder);
            }

            // Only redeliveries (now marked done): an empty answer would read as "nothing ready" to the dispatcher,
            // which would then wait for its poll though more items may be ready behind them.
            if (items.Count > 0 || duplicates.Count == 0)
            {
                return items;
            }
        }
    }

    /// <summary>
    /// One claim, in one transaction: takes the items, keeps the keys computed for items stored without one, records each
    /// key's holder (the first item claimed with it) and marks the items whose key another item holds done.
    /// </summary>
    private async Task<(List<InboxItem> Items, List<(InboxItem Item, long Holder)> Duplicates)> ClaimOnceAsync(
        int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().ToUniversalTime();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = new List<InboxItem>(max);
        var computed = new List<InboxItem>();
        await using (var claim = new NpgsqlCommand(ClaimSql, connection, transaction))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = now });
            claim.Parameters.Add(new NpgsqlParameter { Value = now + lease });
            claim.Parameters.Add(new NpgsqlParameter { Value = max });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(ReadItem(reader, out var keyComputed));
                if (keyComputed)
                {
                    computed.Add(claimed[^1]);
                }
            }
        }

        if (claimed.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return ([], []);
        }

        claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
        var holders = await HoldKeysAsync(connection, transaction, claimed, computed, now, cancellationToken);
        var items = new List<InboxItem>(claimed.Count);
        var duplicates = new List<(InboxItem Item, long Holder)>();
        foreach (var item in claimed)
        {
            var holder = holders[item.DedupKey];
            if (holder == item.Id)
            {
                items.Add(item);
            }
            else
            {
                duplicates.Add((item, holder));
            }
        }

        if (duplicates.Count > 0)
        {
            await using var done = new NpgsqlCommand("""
                UPDATE inbox SET status = 2, locked_until = NULL, finished_at = $3, last_error = 'duplicate of item ' || d.holder
                FROM unnest($1::bigint[], $2::bigint[]) AS d(id, holder) WHERE inbox.id = d.id;
                """, connection, transaction);
            done.Parameters.Add(new NpgsqlParameter { Value = duplicates.Select(d => d.Item.Id).ToArray() });
            done.Parameters.Add(new NpgsqlParameter { Value = duplicates.Select(d => d.Holder).ToArray() });
            done.Parameters.Add(new NpgsqlParameter { Value = now });
            await done.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (items, duplicates);
    }

    /// <summary>
    /// Keeps the keys computed now on their rows, and records each key of the claim with its first item unless an item
    /// holds it already; returns every key's holder. Keys go in sorted order, so two instances recording overlapping
    /// keys wait for each other rather than deadlock.
    /// </summary>
    private static async Task<Dictionary<string, long>> HoldKeysAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<InboxItem> claimed, List<InboxItem> computed,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (computed.Count > 0)
        {
            var setKeys = new NpgsqlBatchCommand("UPDATE inbox SET dedup_key = k.key FROM unnest($1::bigint[], $2::text[]) AS k(id, key) WHERE inbox.id = k.id;");
            setKeys.Parameters.Add(new NpgsqlParameter { Value = computed.Select(i => i.Id).ToArray() });
            setKeys.Parameters.Add(new NpgsqlParameter { Value = computed.Select(i => i.DedupKey).ToArray() });
            batch.BatchCommands.Add(setKeys);
        }

        // The first item of each key in this claim (claimed is in id order) is its candidate holder.
        var candidates = claimed.GroupBy(i => i.DedupKey, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(i => i.DedupKey, StringComparer.Ordinal)
            .ToList();
        var hold = new NpgsqlBatchCommand("""
            INSERT INTO inbox_keys (dedup_key, inbox_id, claimed_at)
            SELECT k.key, k.id, $3 FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS k(key, id, n) ORDER BY k.n
            ON CONFLICT (dedup_key) DO UPDATE SET inbox_id = inbox_keys.inbox_id
            RETURNING dedup_key, inbox_id;
            """);
        hold.Parameters.Add(new NpgsqlParameter { Value = candidates.Select(i => i.DedupKey).ToArray() });
        hold.Parameters.Add(new NpgsqlParameter { Value = candidates.Select(i => i.Id).ToArray() });
        hold.Parameters.Add(new NpgsqlParameter { Value = now });
        batch.BatchCommands.Add(hold);

        var holders = new Dictionary<string, long>(candidates.Count, StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                holders[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        while (await reader.NextResultAsync(cancellationToken));

        return holders;
    }

    public async Task CompleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count > 0)
        {
            await ExecuteAsync(
                "UPDATE inbox SET status = 2, locked_until = NULL, finished_at = $2 WHERE id = ANY($1);",
                cancellationToken,
                ids.ToArray(),
                _time.GetUtcNow().ToUniversalTime());
        }
    }

    public Task RetryLaterAsync(long id, DateTimeOffset notBefore, string error, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE inbox SET status = 0, locked_until = NULL, not_before = $2, last_error = $3 WHERE id = $1;",
            cancellationToken,
            id,
            notBefore.ToUniversalTime(),
            error);

    public Task DeadLetterAsync(long id, string reason, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE inbox SET status = 3, locked_until = NULL, last_error = $2, finished_at = $3 WHERE id = $1;",
            cancellationToken,
            id,
            reason,
            _time.GetUtcNow().ToUniversalTime());

    public Task<int> ReplayDeadLettersAsync(Guid? subscriptionId, CancellationToken cancellationToken) =>
        ExecuteAsync(
            """
            UPDATE inbox SET status = 0, attempts = 0, not_before = $1, finished_at = NULL
            WHERE status = 3 AND ($2::uuid IS NULL OR subscription_id = $2::uuid);
            """,
            cancellationToken,
            _time.GetUtcNow().ToUniversalTime(),
            subscriptionId.HasValue ? subscriptionId.Value : DBNull.Value);

    public async Task<int> PurgeCompletedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var purged = 0;
        while (true)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new("DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE status = 2 AND finished_at < $1 LIMIT $2);")
                    {
                        Parameters = { new() { Value = olderThan.ToUniversalTime() }, new() { Value = PurgeChunkSize } },
                    },
                    new("DELETE FROM inbox_keys WHERE dedup_key IN (SELECT dedup_key FROM inbox_keys WHERE claimed_at < $1 LIMIT $2);")
                    {
                        Parameters = { new() { Value = olderThan.ToUniversalTime() }, new() { Value = PurgeChunkSize } },
                    },
                },
            };
            await batch.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            var items = batch.BatchCommands[0].RecordsAffected;
            var keys = batch.BatchCommands[1].RecordsAffected;
            purged += items;
            if (items < PurgeChunkSize && keys < PurgeChunkSize)
            {
                return purged;
            }
        }
    }

    public async Task<InboxCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT status, COUNT(*) FROM inbox GROUP BY status;");
        var counts = new long[4];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetInt16(0)] = reader.GetInt64(1);
        }

        return new InboxCounts(counts[0], counts[1], counts[2], counts[3]);
    }

    public async Task<IReadOnlyList<InboxItem>> ListDeadLettersAsync(int max, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {Columns} FROM inbox WHERE status = 3 ORDER BY id DESC LIMIT $1;");
        command.Parameters.Add(new NpgsqlParameter { Value = max });
        var items = new List<InboxItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadItem(reader, out _));
        }

        return items;
    }

    /// <summary>The item of the reader's row (columns as <see cref="Columns"/>); an item stored without its dedup key gets
    /// it here, from its payload parsed (<paramref name="keyComputed"/> true: the claim keeps it), and keeps that parse.</summary>
    internal static InboxItem ReadItem(NpgsqlDataReader reader, out bool keyComputed)
    {
        var subscriptionId = reader.GetGuid(3);
        var kind = (InboxItemKind)reader.GetInt16(2);
        var payload = Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(4));
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
            ReceivedAt: reader.GetFieldValue<DateTimeOffset>(7),
            Status: (InboxItemStatus)reader.GetInt16(8),
            LastError: reader.IsDBNull(9) ? null : reader.GetString(9));
        return parsed is null ? item : item with { Parsed = parsed };
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = _dataSource.CreateCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _pending.Writer.TryComplete();
        if (_writeLoop.IsValueCreated)
        {
            var loop = _writeLoop.Value;
            if (await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)) != loop)
            {
                await _stopping.CancelAsync();
            }
        }

        await _stopping.CancelAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Inbox item {ItemId} of subscription {SubscriptionId} is a redelivery of item {HolderId} (same dedup key): marked done, not handled again")]
    private static partial void LogDuplicate(ILogger logger, long itemId, Guid subscriptionId, long holderId);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Inbox write of {RequestCount} batches failed; they are answered 503 so Graph retries")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int requestCount);

    /// <summary>A request's entries, queued for the writer's next round, with the caller's answer.</summary>
    private sealed class PendingAppend
    {
        private const int Queued = 0;
        private const int Taken = 1;
        private const int Withdrawn = 2;

        private readonly CancellationTokenRegistration _cancellation;
        private int _state;

        public PendingAppend(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken)
        {
            // Copied here, before AppendAsync returns: the caller may reuse the payloads' memory.
            Entries = new Row[entries.Count];
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                Entries[i] = new Row(entry.DedupKey, entry.Kind, entry.SubscriptionId, entry.Payload.ToArray(), entry.ValidationTokens);
            }

            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((PendingAppend)state!).Cancel(token), this);
            }
        }

        public Row[] Entries { get; }

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The writer takes it into a round; false when its caller withdrew it first (it is never written).</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        public void Succeed()
        {
            _cancellation.Unregister();
            Completion.TrySetResult();
        }

        public void Fail(Exception exception)
        {
            _cancellation.Unregister();
            Completion.TrySetException(exception);
        }

        /// <summary>A write not taken yet is withdrawn (never written); one taken may still commit.</summary>
        private void Cancel(CancellationToken token)
        {
            Interlocked.CompareExchange(ref _state, Withdrawn, Queued);
            Completion.TrySetCanceled(token);
        }
    }

    private sealed record Row(string? DedupKey, InboxItemKind Kind, Guid SubscriptionId, byte[] Payload, string? ValidationTokens);
}
