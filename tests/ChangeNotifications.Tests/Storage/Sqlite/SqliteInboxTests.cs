using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Data.Sqlite;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Storage.Sqlite;

public sealed class SqliteInboxTests : IDisposable
{
    private const string OldRow = """
        INSERT INTO inbox (dedup_key, kind, subscription_id, payload, received_at, not_before)
        VALUES ('old-1', 0, '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f', '{"id":"old-1"}', 0, 0);
        """;

    private const string OldDoneRow = """
        INSERT INTO inbox (dedup_key, kind, subscription_id, payload, received_at, not_before, status, attempts, finished_at)
        VALUES ('old-done', 0, '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f', '{"id":"old-done"}', 0, 0, 2, 1, 1795762800000);
        """;

    private static readonly Guid Subscription = Guid.Parse("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
    private readonly TempSqlite _file = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose()
    {
        _metrics.Dispose();
        _file.Dispose();
    }

    private IMeterFactory Meters => _metrics.GetRequiredService<IMeterFactory>();

    private SqliteInbox Open(ILogger<SqliteInbox>? logger = null, int chunkSize = 5_000) => new(
        new SqliteDatabase(
            Options.Create(new StorageOptions { SqlitePath = _file.FilePath, Durability = StorageDurability.Normal }),
            new TestEnvironment(_file.Directory),
            [new SqliteInboxSchema()]),
        _time,
        logger ?? NullLogger<SqliteInbox>.Instance,
        new InboxMetrics(Meters))
    {
        PurgeChunkSize = chunkSize,
        PurgePause = TimeSpan.Zero,
    };

    /// <summary>What finished before this is past the dedup retention (six hours).</summary>
    private DateTimeOffset PastRetention => _time.GetUtcNow() - TimeSpan.FromHours(6);

    /// <summary>Claims up to <paramref name="max"/> ready items and marks them done, as a round that handled them all.</summary>
    private static async Task<IReadOnlyList<InboxItem>> HandleAsync(SqliteInbox inbox, int max = 10)
    {
        var claimed = await inbox.ClaimAsync(max, TimeSpan.FromMinutes(1), default);
        await inbox.CompleteAsync(claimed.Select(i => i.Id).ToList(), default);
        return claimed;
    }

    private static InboxEntry Entry(string key, InboxItemKind kind = InboxItemKind.Change) => new(key, kind, Subscription, $$"""{"id":"{{key}}"}""", null);

    [Fact]
    public async Task A_new_instance_releases_the_claims_left_in_the_file_once_before_its_first_claim()
    {
        await using (var first = Open())
        {
            await first.AppendAsync([Entry("a"), Entry("b"), Entry("c")], default);
            Assert.Equal(2, (await first.ClaimAsync(2, TimeSpan.FromHours(1), default)).Count);
        }

        var logger = new FakeLogger<SqliteInbox>();
        await using var second = Open(logger);
        await second.AppendAsync([Entry("d")], default);
        Assert.Equal(new InboxCounts(Ready: 2, Claimed: 2, Done: 0, Dead: 0), await second.CountAsync(default));

        var claimed = await second.ClaimAsync(10, TimeSpan.FromHours(1), default);

        Assert.Equal(["a", "b", "c", "d"], claimed.Select(i => i.DedupKey).Order(StringComparer.Ordinal));
        var line = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 2001);
        Assert.Equal("2", line.GetStructuredStateValue("Count"));
        Assert.Empty(await second.ClaimAsync(10, TimeSpan.FromHours(1), default));
    }

    [Fact]
    public async Task Appends_and_completions_queued_together_share_a_round_and_all_land()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([Entry("first")], default);
        var first = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));

        var writes = Enumerable.Range(0, 50).Select(i => inbox.AppendAsync([Entry($"k{i}"), Entry($"k{i}")], default)).ToList();
        var completion = inbox.CompleteAsync([first.Id], default);
        await Task.WhenAll(writes);
        await completion;

        Assert.Equal(new InboxCounts(Ready: 100, Claimed: 0, Done: 1, Dead: 0), await inbox.CountAsync(default));
        var claimed = await inbox.ClaimAsync(200, TimeSpan.FromMinutes(1), default);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"k{i}").Order(StringComparer.Ordinal), claimed.Select(i => i.DedupKey).Order(StringComparer.Ordinal));
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 50, Done: 51, Dead: 0), await inbox.CountAsync(default));
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_before_its_write_is_taken_is_answered_cancelled_and_nothing_of_it_is_stored()
    {
        await using var inbox = Open();
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();

        var gaveUp = inbox.AppendAsync([Entry("a"), Entry("a2")], stop.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);
        await inbox.AppendAsync([Entry("b")], default);

        Assert.Equal(["b"], (await HandleAsync(inbox)).Select(i => i.DedupKey));
        Assert.Equal(1, (await inbox.CountAsync(default)).Total);
    }

    [Fact]
    public async Task An_unreadable_row_fails_the_claim_but_not_the_appends_sharing_its_round()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([Entry("a")], default);
        await ExecuteAsync("INSERT INTO inbox (dedup_key, kind, subscription_id, payload, received_at, not_before) VALUES ('bad', 0, 'not-a-guid', '{}', 0, 0);");

        var claim = inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        var append = inbox.AppendAsync([Entry("b")], default);

        await Assert.ThrowsAsync<FormatException>(() => claim);
        await append;
        Assert.Equal(new InboxCounts(Ready: 1, Claimed: 2, Done: 0, Dead: 0), await inbox.CountAsync(default));
    }

    [Fact]
    public async Task A_file_made_with_the_old_schema_is_rebuilt_once_and_keeps_its_rows_and_their_claimed_keys()
    {
        await ExecuteAsync(new OldInboxSchema().Sql + OldRow + OldDoneRow);

        await using (var first = Open())
        {
            await first.CountAsync(default);
        }

        await using var inbox = Open();
        Assert.Empty(await AutoIndexesAsync());
        await inbox.AppendAsync([Entry("new-1"), Entry("old-1"), Entry("old-done")], default);
        var claimed = await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        Assert.Equal(["old-1", "new-1"], claimed.Select(i => i.DedupKey));
        Assert.True(claimed[1].Id > claimed[0].Id);
        await inbox.CompleteAsync(claimed.Select(i => i.Id).ToList(), default);
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 0, Done: 5, Dead: 0), await inbox.CountAsync(default));

        _time.Advance(TimeSpan.FromHours(7));
        Assert.Equal(5, await inbox.PurgeCompletedAsync(PastRetention, default));
        Assert.Equal(
            ["ix_inbox_claimed", "ix_inbox_dead", "ix_inbox_done", "ix_inbox_ready", "ix_inbox_ready_lifecycle"],
            await IndexesAsync());
    }

    [Fact]
    public async Task A_file_whose_keys_are_not_null_is_rebuilt_once_and_keeps_its_rows_their_keys_and_the_claimed_keys()
    {
        // The schema of the builds whose intake computed every key (dedup_key NOT NULL), with an item claimed before.
        var before = new SqliteInboxSchema().Sql.Replace("dedup_key         TEXT    NULL,", "dedup_key         TEXT    NOT NULL,", StringComparison.Ordinal);
        Assert.NotEqual(new SqliteInboxSchema().Sql, before);
        await ExecuteAsync(before + OldRow + OldDoneRow + "INSERT INTO inbox_keys VALUES ('old-done', 2, 0);");

        await using (var first = Open())
        {
            await first.CountAsync(default);
        }

        await using var inbox = Open();
        Assert.Equal(["0"], await QueryAsync("""SELECT "notnull" FROM pragma_table_info('inbox') WHERE name = 'dedup_key';"""));
        await inbox.AppendAsync([new InboxEntry(null, InboxItemKind.Change, Subscription, $$"""{"subscriptionId":"{{Subscription}}","changeType":"updated","id":"n1"}""", null), Entry("old-done")], default);
        var claimed = await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);

        Assert.Equal(["old-1", StoredNotification.Parse(Subscription, true, $$"""{"id":"n1","changeType":"updated","subscriptionId":"{{Subscription}}"}""").DedupKey], claimed.Select(i => i.DedupKey));
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 2, Done: 2, Dead: 0), await inbox.CountAsync(default));
    }

    [Fact]
    public async Task The_idle_writer_copies_the_wal_into_the_database_file_once_the_checkpoint_interval_has_passed()
    {
        await using var inbox = Open();
        // Random text: a batch row is stored deflated, and 50 repeated payloads would deflate to almost nothing.
        var random = new Random(5);
        string Payload() => Convert.ToBase64String(Enumerable.Range(0, 3_000).Select(_ => (byte)random.Next(256)).ToArray());
        var database = new FileInfo(_file.FilePath);

        await inbox.AppendAsync([.. Enumerable.Range(0, 50).Select(i => new InboxEntry($"big-{i}", InboxItemKind.Change, Subscription, Payload(), null))], default);
        await inbox.AppendAsync([Entry("within-the-interval")], default);
        database.Refresh();
        var before = database.Length;

        _time.Advance(TimeSpan.FromSeconds(1));
        await inbox.AppendAsync([Entry("after-the-interval")], default);
        // The loop checkpoints after a round, before it takes the next one: once this round is answered, that one ran.
        await inbox.AppendAsync([Entry("next")], default);
        database.Refresh();

        Assert.True(before < 50 * 2_500, $"The database file held the rows before the checkpoint ({before} bytes).");
        Assert.True(database.Length >= 50 * 2_500, $"The database file did not get the rows ({database.Length} bytes).");
    }

    [Fact]
    public async Task Each_committed_round_records_its_callers_and_its_time_on_the_clock_and_an_idle_checkpoint_its_time()
    {
        await using var inbox = Open();
        using var durations = new MetricCollector<double>(Meters, InboxMetrics.MeterName, "changenotifications.inbox.round.duration");
        using var writes = new MetricCollector<int>(Meters, InboxMetrics.MeterName, "changenotifications.inbox.round.writes");
        using var checkpoints = new MetricCollector<double>(Meters, InboxMetrics.MeterName, "changenotifications.inbox.checkpoint.duration");
        // Every reading of the clock moves it on: a round's time is what the clock counted between its start and its commit.
        _time.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);

        // One caller a round: an append of two changes (one batch row), a claim, a completion.
        await inbox.AppendAsync([Entry("a"), Entry("b")], default);
        await HandleAsync(inbox);

        Assert.Equal([1, 1, 1], writes.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Equal(3, durations.GetMeasurementSnapshot().Count);
        Assert.All(durations.GetMeasurementSnapshot(), m => Assert.InRange(m.Value, 0.001, 1));

        // Idle past the interval: the writer checkpoints after its next round, and times it.
        _time.Advance(TimeSpan.FromSeconds(1));
        await inbox.AppendAsync([Entry("c")], default);
        await checkpoints.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(30));
        Assert.All(checkpoints.GetMeasurementSnapshot(), m => Assert.InRange(m.Value, 0.001, 1));
    }

    [Fact]
    public async Task A_failed_round_records_no_round_time()
    {
        await using var inbox = Open();
        using var durations = new MetricCollector<double>(Meters, InboxMetrics.MeterName, "changenotifications.inbox.round.duration");
        await inbox.AppendAsync([Entry("before")], default);
        await ExecuteAsync("CREATE TRIGGER refuse BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'refused'); END;");

        await Assert.ThrowsAsync<InboxUnavailableException>(() => inbox.AppendAsync([Entry("refused")], default));

        Assert.Single(durations.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task A_failed_round_stores_nothing_of_it_and_the_next_round_writes_on_a_new_connection()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([Entry("before")], default);
        await ExecuteAsync("CREATE TRIGGER refuse_boom BEFORE INSERT ON inbox WHEN NEW.dedup_key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END;");

        var failed = await Assert.ThrowsAsync<InboxUnavailableException>(() => inbox.AppendAsync([Entry("a"), Entry("boom", InboxItemKind.Lifecycle)], default));
        Assert.Contains("boom refused", failed.InnerException?.Message, StringComparison.Ordinal);
        Assert.Equal(new InboxCounts(Ready: 1, Claimed: 0, Done: 0, Dead: 0), await inbox.CountAsync(default));

        await inbox.AppendAsync([Entry("after")], default);
        Assert.Equal(["before", "after"], (await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
    }

    [Fact]
    public async Task A_round_without_its_table_fails_and_the_writer_recovers_on_a_new_connection_once_the_table_is_back()
    {
        await using var inbox = Open();
        await inbox.CountAsync(default);
        await ExecuteAsync("ALTER TABLE inbox RENAME TO inbox_away;");

        await Assert.ThrowsAsync<InboxUnavailableException>(() => inbox.AppendAsync([Entry("a")], default));

        await ExecuteAsync("ALTER TABLE inbox_away RENAME TO inbox;");
        await inbox.AppendAsync([Entry("b")], default);
        Assert.Equal("b", Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).DedupKey);
    }

    [Fact]
    public async Task A_purge_whose_key_delete_fails_purges_no_item_either()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([Entry("a")], default);
        Assert.Single(await HandleAsync(inbox));
        await ExecuteAsync("CREATE TRIGGER refuse_key_delete BEFORE DELETE ON inbox_keys BEGIN SELECT RAISE(ABORT, 'key delete refused'); END;");
        _time.Advance(TimeSpan.FromHours(7));

        var failed = await Assert.ThrowsAsync<SqliteException>(() => inbox.PurgeCompletedAsync(PastRetention, default));

        Assert.Contains("key delete refused", failed.Message, StringComparison.Ordinal);
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 0, Done: 1, Dead: 0), await inbox.CountAsync(default));
    }

    [Fact]
    public async Task Claim_and_purge_read_the_partial_indexes()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([Entry("a")], default);

        Assert.Equal("SCAN inbox USING COVERING INDEX ix_inbox_ready", await PlanAsync("SELECT id FROM inbox WHERE status = 0 AND not_before <= 1 ORDER BY id LIMIT 5"));
        Assert.Equal("SCAN inbox USING COVERING INDEX ix_inbox_ready_lifecycle", await PlanAsync($"SELECT id FROM inbox WHERE status = 0 AND kind = {SqliteInboxSchema.LifecycleKind} AND not_before <= 1 ORDER BY id LIMIT 5"));
        Assert.Contains("USING COVERING INDEX ix_inbox_claimed (locked_until<?)", await PlanAsync("SELECT id FROM inbox WHERE status = 1 AND locked_until <= 1 ORDER BY locked_until LIMIT 5"), StringComparison.Ordinal);
        Assert.Contains("ix_inbox_done", await PlanAsync("SELECT id FROM inbox WHERE status = 2 AND finished_at < 1 LIMIT 5"), StringComparison.Ordinal);
        Assert.Contains("ix_inbox_keys_claimed", await PlanAsync("SELECT dedup_key FROM inbox_keys WHERE claimed_at < 1 LIMIT 5"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_claim_reads_no_row_it_does_not_claim_on_a_large_inbox()
    {
        await using (var inbox = Open())
        {
            await inbox.AppendAsync([Entry("a")], default);
        }

        // Many finished rows and a few ready ones: a claim that scanned the table would read all of them.
        await ExecuteAsync("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
            INSERT INTO inbox (dedup_key, kind, subscription_id, payload, received_at, not_before, status, finished_at)
            SELECT 'k' || i, 0, 's', '{}', 0, 0, CASE WHEN i % 100 = 0 THEN 0 ELSE 2 END, 0 FROM n;
            """);

        var plan = await PlanAsync(SqliteInboxWriter.ClaimSql);

        Assert.DoesNotContain(plan.Split(" | "), line => line.StartsWith("SCAN inbox", StringComparison.Ordinal) && !line.Contains("INDEX", StringComparison.Ordinal));
        Assert.Contains("ix_inbox_ready ", plan, StringComparison.Ordinal);
        Assert.Contains("ix_inbox_ready_lifecycle", plan, StringComparison.Ordinal);
        Assert.Contains("ix_inbox_claimed", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_of_several_changes_is_one_row_until_a_claim_splits_it_in_order_with_its_receive_time()
    {
        await using var inbox = Open();
        var received = _time.GetUtcNow();
        var other = Guid.Parse("0b6d3c1e-2f4a-4b5c-9d6e-7f8091a2b3c4");
        await inbox.AppendAsync(
        [
            new InboxEntry("c1", InboxItemKind.Change, Subscription, """{"id":"c1","é":"ü"}""", "tokens-A"),
            new InboxEntry("c2", InboxItemKind.Change, other, "{}", null),
            new InboxEntry("c3", InboxItemKind.Change, Subscription, """{"id":"c3"}""", "tokens-A"),
        ], default);

        Assert.Equal(["0 rows", "1 batches of 3"], await RowsAndBatchesAsync());
        Assert.Equal(new InboxCounts(Ready: 3, Claimed: 0, Done: 0, Dead: 0), await inbox.CountAsync(default));
        _time.Advance(TimeSpan.FromMinutes(5));

        var first = await inbox.ClaimAsync(2, TimeSpan.FromMinutes(1), default);
        var next = await inbox.ClaimAsync(2, TimeSpan.FromMinutes(1), default);

        Assert.Equal(
            [("c1", Subscription, """{"id":"c1","é":"ü"}""", "tokens-A"), ("c2", other, "{}", null), ("c3", Subscription, """{"id":"c3"}""", "tokens-A")],
            first.Concat(next).Select(i => (i.DedupKey, i.SubscriptionId, i.Payload, i.ValidationTokens)));
        Assert.All(first.Concat(next), i => Assert.Equal(received, i.ReceivedAt));
        Assert.Equal(["0"], await QueryAsync("SELECT COUNT(*) FROM inbox_batches;"));
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 3, Done: 0, Dead: 0), await inbox.CountAsync(default));
    }

    [Fact]
    public async Task A_refused_batch_row_fails_the_whole_request_and_stores_none_of_it()
    {
        await using var inbox = Open();
        await inbox.CountAsync(default);
        await ExecuteAsync("CREATE TRIGGER refuse_batch BEFORE INSERT ON inbox_batches BEGIN SELECT RAISE(ABORT, 'batch refused'); END;");

        var failed = await Assert.ThrowsAsync<InboxUnavailableException>(() => inbox.AppendAsync([Entry("l1", InboxItemKind.Lifecycle), Entry("a"), Entry("b")], default));

        Assert.Contains("batch refused", failed.InnerException?.Message, StringComparison.Ordinal);
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 0, Done: 0, Dead: 0), await inbox.CountAsync(default));
        await ExecuteAsync("DROP TRIGGER refuse_batch;");
        await inbox.AppendAsync([Entry("c"), Entry("d")], default);
        Assert.Equal(["c", "d"], (await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
    }

    [Fact]
    public async Task What_an_append_keeps_is_copied_before_it_returns_so_the_caller_may_reuse_the_payload_memory()
    {
        await using var inbox = Open();
        await inbox.CountAsync(default);
        var buffer = "{\"id\":\"a\"}{\"id\":\"b\"}{\"id\":\"c\"}"u8.ToArray();
        Task single, batch;
        await using (var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _file.FilePath, Pooling = false }.ToString()))
        {
            // The file's write lock is held: the writer cannot have written either append before the memory is reused.
            await holder.OpenAsync();
            await using var hold = holder.BeginTransaction(deferred: false);
            single = inbox.AppendAsync([new InboxEntry("a", InboxItemKind.Change, Subscription, buffer.AsMemory(0, 10), null)], default);
            batch = inbox.AppendAsync(
                [new InboxEntry("b", InboxItemKind.Change, Subscription, buffer.AsMemory(10, 10), null), new InboxEntry("c", InboxItemKind.Change, Subscription, buffer.AsMemory(20, 10), null)],
                default);
            buffer.AsSpan().Fill((byte)'x');
            Assert.False(single.IsCompleted || batch.IsCompleted);
        }

        await Task.WhenAll(single, batch);
        Assert.Equal(
            ["""{"id":"a"}""", """{"id":"b"}""", """{"id":"c"}"""],
            (await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Select(i => i.Payload));
    }

    [Fact]
    public async Task Items_of_a_single_row_and_of_a_split_batch_are_stored_as_text_with_the_subscription_id_in_lower_case()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([new InboxEntry(null, InboxItemKind.Change, Subscription, """{"id":"s","é":"ü"}""", "tokens")], default);
        await inbox.AppendAsync([Entry("b1"), new InboxEntry("b2", InboxItemKind.Change, Subscription, """{"id":"b2","é":"ü"}""", null)], default);

        await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);

        Assert.Equal(
            [
                """text text text 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f {"id":"s","é":"ü"}""",
                """text null text 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f {"id":"b1"}""",
                """text null text 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f {"id":"b2","é":"ü"}""",
            ],
            await QueryAsync("""
                SELECT typeof(dedup_key) || ' ' || typeof(validation_tokens) || ' ' || typeof(payload) || ' ' || subscription_id || ' ' || payload
                FROM inbox ORDER BY id;
                """));
    }

    [Fact]
    public async Task A_claim_splits_the_oldest_batches_until_it_has_its_max_so_batches_do_not_wait_behind_single_items()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([Entry("s1")], default);
        await inbox.AppendAsync([Entry("a1"), Entry("a2")], default);
        await inbox.AppendAsync([Entry("b1"), Entry("b2")], default);
        await inbox.AppendAsync([Entry("c1"), Entry("c2")], default);
        await inbox.AppendAsync([Entry("s2")], default);

        Assert.Equal(["s1", "s2", "a1"], (await inbox.ClaimAsync(3, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
        Assert.Equal(["2"], await QueryAsync("SELECT SUM(item_count) FROM inbox_batches;"));
        Assert.Equal(["a2", "b1", "b2", "c1", "c2"], (await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
    }

    [Fact]
    public async Task A_batch_is_stored_deflated_and_split_back_into_its_items_with_their_payloads_and_tokens()
    {
        await using var inbox = Open();
        var entries = Enumerable.Range(0, 100)
            .Select(i => new InboxEntry(null, InboxItemKind.Change, Subscription, $$$"""{"id":"n-{{{i}}}","changeType":"updated","resource":"Users/{{{i % 7}}}","resourceData":{"@odata.type":"#Microsoft.Graph.User"}}""", i % 2 == 0 ? "[\"token\"]" : null))
            .ToList();

        await inbox.AppendAsync(entries, default);

        Assert.Equal(["03"], await QueryAsync("SELECT hex(substr(items, 1, 1)) FROM inbox_batches;"));
        Assert.True(int.Parse((await QueryAsync("SELECT length(items) FROM inbox_batches;"))[0], CultureInfo.InvariantCulture) * 3 < entries.Sum(e => e.Payload.Length));
        var claimed = await inbox.ClaimAsync(100, TimeSpan.FromMinutes(1), default);
        Assert.Equal(entries.Select(e => (Encoding.UTF8.GetString(e.Payload.Span), e.ValidationTokens)), claimed.Select(i => (i.Payload, i.ValidationTokens)));
        Assert.Equal(100, claimed.Select(i => i.DedupKey).Distinct().Count());
    }

    [Fact]
    public async Task Lifecycle_events_of_a_request_with_changes_get_their_own_rows_and_go_first()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([Entry("c1"), Entry("c2"), Entry("l1", InboxItemKind.Lifecycle), Entry("c3")], default);

        Assert.Equal(["l1"], await QueryAsync("SELECT dedup_key FROM inbox;"));
        Assert.Equal(["l1", "c1"], (await inbox.ClaimAsync(2, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
        Assert.Equal(["c2", "c3"], (await inbox.ClaimAsync(2, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
    }

    [Fact]
    public async Task A_redelivered_batch_is_split_and_its_items_marked_done_as_duplicates()
    {
        await using var inbox = Open();
        await inbox.AppendAsync([Entry("a"), Entry("b")], default);
        Assert.Equal(["a", "b"], (await HandleAsync(inbox)).Select(i => i.DedupKey));

        await inbox.AppendAsync([Entry("a"), Entry("b")], default);

        Assert.Empty(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 0, Done: 4, Dead: 0), await inbox.CountAsync(default));
    }

    [Fact]
    public async Task A_stored_batch_outlives_the_process_and_a_failed_split_leaves_it_whole()
    {
        await using (var before = Open())
        {
            await before.AppendAsync([Entry("a"), Entry("b")], default);
        }

        await using var inbox = Open();
        await ExecuteAsync("CREATE TRIGGER refuse_split BEFORE DELETE ON inbox_batches BEGIN SELECT RAISE(ABORT, 'split refused'); END;");
        var failed = await Assert.ThrowsAsync<InboxUnavailableException>(() => inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Contains("split refused", failed.InnerException?.Message, StringComparison.Ordinal);
        Assert.Equal(["0 rows", "1 batches of 2"], await RowsAndBatchesAsync());

        await ExecuteAsync("DROP TRIGGER refuse_split;");
        Assert.Equal(["a", "b"], (await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
    }

    [Fact]
    public async Task An_unreadable_batch_is_kept_counted_dead_and_logged_and_later_items_are_still_claimed()
    {
        var logs = new FakeLogCollector();
        await using var inbox = Open(new FakeLogger<SqliteInbox>(logs));
        await inbox.AppendAsync([Entry("a"), Entry("b")], default);
        await ExecuteAsync("UPDATE inbox_batches SET items = x'01020000';");
        await inbox.AppendAsync([Entry("c"), Entry("d")], default);

        Assert.Equal(["c", "d"], (await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));

        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 2, Done: 0, Dead: 2), await inbox.CountAsync(default));
        var log = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 1103);
        Assert.Equal(LogLevel.Error, log.Level);
        Assert.Equal(["1", "2"], new[] { "BatchId", "ItemCount" }.Select(k => log.StructuredState!.Single(p => p.Key == k).Value));
        Assert.Contains("truncated", log.StructuredState!.Single(p => p.Key == "Reason").Value, StringComparison.Ordinal);
        Assert.Empty(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 1103);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _file.FilePath, Pooling = false, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private Task<List<string>> IndexesAsync() =>
        QueryAsync("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inbox' AND sql IS NOT NULL ORDER BY name;");

    private Task<List<string>> AutoIndexesAsync() =>
        QueryAsync("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inbox' AND sql IS NULL;");

    /// <summary>"N rows" (item rows) and "M batches of K" (stored batches and their items).</summary>
    private Task<List<string>> RowsAndBatchesAsync() =>
        QueryAsync("SELECT (SELECT COUNT(*) FROM inbox) || ' rows' UNION ALL SELECT COUNT(*) || ' batches of ' || SUM(item_count) FROM inbox_batches;");

    private Task<List<string>> LastErrorsAsync() =>
        QueryAsync("SELECT DISTINCT last_error FROM inbox WHERE last_error IS NOT NULL;");

    /// <summary>Column <paramref name="column"/> of each row of <paramref name="sql"/>, as text.</summary>
    private async Task<List<string>> QueryAsync(string sql, int column = 0)
    {
        var values = new List<string>();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _file.FilePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(column));
        }

        return values;
    }

    /// <summary>SQLite's plan for <paramref name="sql"/>, its steps joined by " | ".</summary>
    private async Task<string> PlanAsync(string sql) =>
        string.Join(" | ", await QueryAsync("EXPLAIN QUERY PLAN " + sql, column: 3));
}
