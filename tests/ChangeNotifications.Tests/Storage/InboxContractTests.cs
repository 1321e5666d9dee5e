using System.Globalization;
using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Storage;

/// <summary>
/// What every inbox promises (<see cref="IInbox"/>): completion, retries, dead letters and replay, the dedup key held by
/// the first item claimed with it, lifecycle events first, purge. Each store runs these in a subclass.
/// </summary>
public abstract class InboxContractTests : IAsyncLifetime
{
    protected static readonly Guid Subscription = Guid.Parse("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f");

    private readonly List<IAsyncDisposable> _opened = [];

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    /// <summary>What finished before this is past the dedup retention (six hours).</summary>
    private DateTimeOffset PastRetention => Time.GetUtcNow() - TimeSpan.FromHours(6);

    /// <summary>A new inbox of the store over an empty store (the same store for every call in a test), on
    /// <see cref="Time"/>, logging to <paramref name="logs"/>, purging <paramref name="purgeChunkSize"/> rows at a time.</summary>
    private protected abstract IInbox Create(FakeLogCollector logs, int purgeChunkSize);

    /// <summary>The operators' view (<see cref="Admin.IInboxAdministration"/>) of the same store, on <see cref="Time"/>.</summary>
    private protected abstract ChangeNotifications.Admin.IInboxAdministration Administration();

    /// <summary>Column 0 of each row of <paramref name="sql"/>, as text (the tables and columns are the same in every store).</summary>
    protected abstract Task<List<string>> QueryAsync(string sql);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var inbox in _opened)
        {
            await inbox.DisposeAsync();
        }
    }

    private protected IInbox Open(FakeLogCollector? logs = null, int purgeChunkSize = 5_000)
    {
        var inbox = Create(logs ?? new FakeLogCollector(), purgeChunkSize);
        _opened.Add((IAsyncDisposable)inbox);
        return inbox;
    }

    /// <summary>Claims up to <paramref name="max"/> ready items and marks them done, as a round that handled them all.</summary>
    private protected static async Task<IReadOnlyList<InboxItem>> HandleAsync(IInbox inbox, int max = 10)
    {
        var claimed = await inbox.ClaimAsync(max, TimeSpan.FromMinutes(1), default);
        await inbox.CompleteAsync(claimed.Select(i => i.Id).ToList(), default);
        return claimed;
    }

    private protected static InboxEntry Entry(string key, InboxItemKind kind = InboxItemKind.Change, Guid? subscription = null) =>
        new(key, kind, subscription ?? Subscription, $$"""{"id":"{{key}}"}""", null);

    [ContractFact]
    public async Task Completes_the_given_items_together_and_leaves_the_others_claimed()
    {
        var inbox = Open();
        await inbox.AppendAsync([Entry("a"), Entry("b"), Entry("c")], default);
        var claimed = await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);

        await inbox.CompleteAsync([claimed[0].Id, claimed[2].Id], default);
        await inbox.CompleteAsync([], default);

        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 1, Done: 2, Dead: 0), await inbox.CountAsync(default));
        Time.Advance(TimeSpan.FromMinutes(2));
        var again = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Equal("b", again.DedupKey);
        Assert.Equal(2, again.Attempts);
    }

    [ContractFact]
    public async Task Items_come_back_as_stored_with_payload_tokens_kind_and_receive_time()
    {
        var inbox = Open();
        var payload = """{"id":"ü-1","resource":"Users/u/Messages/1"}""";
        await inbox.AppendAsync([new InboxEntry("k", InboxItemKind.Change, Subscription, payload, "token-1,token-2")], default);

        var item = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));

        Assert.Equal(("k", InboxItemKind.Change, Subscription, payload, "token-1,token-2"), (item.DedupKey, item.Kind, item.SubscriptionId, item.Payload, item.ValidationTokens));
        Assert.Equal((1, InboxItemStatus.Claimed, Time.GetUtcNow()), (item.Attempts, item.Status, item.ReceivedAt));
    }

    [ContractFact]
    public async Task A_retried_item_waits_until_its_time_and_a_dead_letter_is_listed_and_replayed_by_subscription()
    {
        var inbox = Open();
        var other = Guid.Parse("0b7d5c1e-2f3a-4b5c-9d8e-7f6a5b4c3d2e");
        await inbox.AppendAsync([Entry("a"), Entry("b"), Entry("c", subscription: other)], default);
        var claimed = await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);

        await inbox.RetryLaterAsync(claimed[0].Id, Time.GetUtcNow().AddMinutes(1), "busy", default);
        await inbox.DeadLetterAsync(claimed[1].Id, "400 badRequest", default);
        await inbox.DeadLetterAsync(claimed[2].Id, "404 notFound", default);
        Assert.Empty(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Equal(new InboxCounts(Ready: 1, Claimed: 0, Done: 0, Dead: 2), await inbox.CountAsync(default));
        Assert.Equal(["c: 404 notFound", "b: 400 badRequest"], (await inbox.ListDeadLettersAsync(10, default)).Select(i => $"{i.DedupKey}: {i.LastError}"));

        Time.Advance(TimeSpan.FromMinutes(1));
        var retried = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Equal(("a", 2, "busy"), (retried.DedupKey, retried.Attempts, retried.LastError));

        Assert.Equal(1, await inbox.ReplayDeadLettersAsync(other, default));
        var replayed = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Equal(("c", 1), (replayed.DedupKey, replayed.Attempts));
        Assert.Equal(1, await inbox.ReplayDeadLettersAsync(null, default));
        Assert.Equal("b", Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).DedupKey);
    }

    [ContractFact]
    public async Task A_key_computed_when_an_item_is_first_claimed_is_kept_for_its_later_claims()
    {
        var inbox = Open();
        // Nothing tells this item from the next change (no id, no etag): its key has a new GUID each time it is computed.
        await inbox.AppendAsync([new InboxEntry(null, InboxItemKind.Change, Subscription, $$"""{"subscriptionId":"{{Subscription}}","changeType":"updated","resource":"drives/d/root"}""", null)], default);

        var first = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Equal([first.DedupKey], await QueryAsync("SELECT dedup_key FROM inbox;"));
        await inbox.RetryLaterAsync(first.Id, Time.GetUtcNow(), "try again", default);
        var again = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));

        Assert.Equal(first.DedupKey, again.DedupKey);
        Assert.Equal([first.DedupKey], await QueryAsync("SELECT dedup_key FROM inbox_keys;"));
    }

    [ContractFact]
    public async Task Entries_without_a_key_get_the_key_of_their_payload()
    {
        var inbox = Open();
        string[] payloads = [Notification("1"), Notification("2"), Notification("3")];
        var keys = payloads.Select(p => StoredNotification.Parse(Subscription, true, p).DedupKey).ToList();
        Assert.Equal(3, keys.Distinct().Count());

        await inbox.AppendAsync([new InboxEntry(null, InboxItemKind.Change, Subscription, payloads[0], null)], default);
        await inbox.AppendAsync([.. payloads[1..].Select(p => new InboxEntry(null, InboxItemKind.Change, Subscription, p, null))], default);

        Assert.Equal(keys, (await HandleAsync(inbox)).Select(i => i.DedupKey));

        static string Notification(string id) =>
            $$"""{"subscriptionId":"{{Subscription}}","changeType":"updated","resource":"Users/u/Messages/{{id}}","id":"{{id}}","clientState":null}""";
    }

    [ContractFact]
    public async Task A_redelivered_item_is_stored_and_marked_done_as_a_duplicate_when_claimed()
    {
        var logs = new FakeLogCollector();
        var inbox = Open(logs);
        await inbox.AppendAsync([Entry("a"), Entry("a")], default);
        var first = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        await inbox.CompleteAsync([first.Id], default);

        await inbox.AppendAsync([Entry("a")], default);
        Assert.Empty(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));

        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 0, Done: 3, Dead: 0), await inbox.CountAsync(default));
        var duplicates = logs.GetSnapshot().Where(r => r.Id.Id == 1102).ToList();
        Assert.Equal(2, duplicates.Count);
        Assert.All(duplicates, r => Assert.Equal(first.Id.ToString(CultureInfo.InvariantCulture), r.GetStructuredStateValue("HolderId")));
        Assert.Equal([$"duplicate of item {first.Id}"], await QueryAsync("SELECT DISTINCT last_error FROM inbox WHERE last_error IS NOT NULL;"));
    }

    [ContractFact]
    public async Task A_claim_that_takes_only_redeliveries_claims_again_and_returns_what_is_ready_behind_them()
    {
        var inbox = Open();
        await inbox.AppendAsync([Entry("a")], default);
        Assert.Single(await inbox.ClaimAsync(1, TimeSpan.FromMinutes(1), default));
        await inbox.AppendAsync([Entry("a"), Entry("a"), Entry("b")], default);

        var claimed = Assert.Single(await inbox.ClaimAsync(2, TimeSpan.FromMinutes(1), default));

        Assert.Equal("b", claimed.DedupKey);
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 2, Done: 2, Dead: 0), await inbox.CountAsync(default));
        Assert.Empty(await inbox.ClaimAsync(2, TimeSpan.FromMinutes(1), default));
    }

    [ContractFact]
    public async Task The_item_holding_a_key_is_claimed_again_after_a_retry_a_replay_and_a_lost_lease()
    {
        var inbox = Open();
        await inbox.AppendAsync([Entry("a")], default);
        var item = Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));

        await inbox.RetryLaterAsync(item.Id, Time.GetUtcNow(), "try again", default);
        Assert.Equal(item.Id, Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Id);

        Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(item.Id, Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Id);

        await inbox.DeadLetterAsync(item.Id, "gave up", default);
        Assert.Equal(1, await inbox.ReplayDeadLettersAsync(null, default));
        Assert.Equal(item.Id, Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Id);
    }

    [ContractFact]
    public async Task A_purged_key_no_longer_holds_a_redelivery_back()
    {
        var inbox = Open();
        await inbox.AppendAsync([Entry("a")], default);
        Assert.Single(await HandleAsync(inbox));

        Time.Advance(TimeSpan.FromHours(7));
        Assert.Equal(1, await inbox.PurgeCompletedAsync(PastRetention, default));
        await inbox.AppendAsync([Entry("a")], default);

        Assert.Equal("a", Assert.Single(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).DedupKey);
    }

    [ContractFact]
    public async Task A_purge_works_through_in_chunks_and_removes_every_finished_item_and_key_past_the_retention()
    {
        var inbox = Open(purgeChunkSize: 4);
        await inbox.AppendAsync(Enumerable.Range(0, 11).Select(i => Entry($"old-{i}")).ToList(), default);
        Assert.Equal(11, (await HandleAsync(inbox, max: 20)).Count);
        Time.Advance(TimeSpan.FromHours(7));
        await inbox.AppendAsync([Entry("recent"), Entry("ready")], default);
        Assert.Single(await HandleAsync(inbox, max: 1));

        Assert.Equal(11, await inbox.PurgeCompletedAsync(PastRetention, default));

        Assert.Equal(new InboxCounts(Ready: 1, Claimed: 0, Done: 1, Dead: 0), await inbox.CountAsync(default));
        Assert.Equal(["recent"], await QueryAsync("SELECT dedup_key FROM inbox_keys ORDER BY dedup_key"));
    }

    [ContractFact]
    public async Task Ready_lifecycle_events_are_claimed_before_older_changes()
    {
        var inbox = Open();
        foreach (var key in new[] { "c1", "c2", "c3" })
        {
            await inbox.AppendAsync([Entry(key)], default);
        }

        await inbox.AppendAsync([Entry("l1", InboxItemKind.Lifecycle), Entry("c4")], default);

        var first = await inbox.ClaimAsync(2, TimeSpan.FromMinutes(1), default);
        var next = await inbox.ClaimAsync(2, TimeSpan.FromMinutes(1), default);

        Assert.Equal(["c1", "l1"], first.Select(i => i.DedupKey).Order());
        Assert.Equal(["c2", "c3"], next.Select(i => i.DedupKey).Order());
    }

    [ContractFact]
    public async Task A_lifecycle_event_due_later_does_not_go_first_before_its_time()
    {
        var inbox = Open();
        await inbox.AppendAsync([Entry("l1", InboxItemKind.Lifecycle)], default);
        var lifecycle = Assert.Single(await inbox.ClaimAsync(1, TimeSpan.FromMinutes(1), default));
        await inbox.RetryLaterAsync(lifecycle.Id, Time.GetUtcNow().AddMinutes(1), "throttled", default);
        await inbox.AppendAsync([Entry("c1"), Entry("c2")], default);

        Assert.Equal(["c1"], (await inbox.ClaimAsync(1, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(["l1"], (await inbox.ClaimAsync(1, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
    }

    [ContractFact]
    public async Task A_caller_that_stops_waiting_before_its_append_is_written_is_answered_cancelled()
    {
        var inbox = Open();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => inbox.AppendAsync([Entry("a")], cancelled.Token));
        await inbox.AppendAsync([Entry("b")], default);

        Assert.Equal(["b"], (await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default)).Select(i => i.DedupKey));
    }

    [ContractFact]
    public async Task Operators_list_items_by_status_subscription_and_time_newest_first_in_pages()
    {
        var other = Guid.Parse("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
        var inbox = Open();
        await inbox.AppendAsync([Entry("a1"), Entry("a2")], default);
        var afterFirst = Time.GetUtcNow().AddSeconds(1);
        Time.Advance(TimeSpan.FromSeconds(2));
        await inbox.AppendAsync([Entry("b1", subscription: other), Entry("a3")], default);
        var claimed = await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        await inbox.DeadLetterAsync(claimed.Single(i => i.DedupKey == "a2").Id, "refused for good", default);
        await inbox.CompleteAsync(claimed.Where(i => i.DedupKey != "a2").Select(i => i.Id).ToList(), default);
        var admin = Administration();

        var all = await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery(), default);
        Assert.Equal(["a3", "b1", "a2", "a1"], all.Select(i => i.DedupKey));
        var dead = Assert.Single(await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery { Status = InboxItemStatus.Dead }, default));
        Assert.Equal(("a2", "refused for good"), (dead.DedupKey, dead.LastError));
        Assert.Equal(["b1"], (await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery { SubscriptionIds = [other] }, default)).Select(i => i.DedupKey));
        Assert.Empty(await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery { SubscriptionIds = [] }, default));
        Assert.Equal(["a3", "b1"], (await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery { ReceivedFrom = afterFirst }, default)).Select(i => i.DedupKey));
        Assert.Equal(["a2", "a1"], (await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery { ReceivedBefore = afterFirst }, default)).Select(i => i.DedupKey));
        var firstPage = await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery { Limit = 3 }, default);
        var secondPage = await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery { Limit = 3, BeforeId = firstPage[^1].Id }, default);
        Assert.Equal(["a3", "b1", "a2", "a1"], firstPage.Concat(secondPage).Select(i => i.DedupKey));
        Assert.Equal(["a1"], (await admin.ListAsync(new ChangeNotifications.Admin.InboxQuery { Ids = [all[^1].Id] }, default)).Select(i => i.DedupKey));
    }

    [ContractFact]
    public async Task Operators_replay_the_matching_dead_letters_which_are_then_handled_once_more()
    {
        var other = Guid.Parse("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
        var inbox = Open();
        await inbox.AppendAsync([Entry("a1"), Entry("a2"), Entry("b1", subscription: other), Entry("a3")], default);
        foreach (var item in await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default))
        {
            if (item.DedupKey == "a3")
            {
                await inbox.CompleteAsync([item.Id], default);
            }
            else
            {
                await inbox.DeadLetterAsync(item.Id, "gave up", default);
            }
        }

        var admin = Administration();
        Assert.Empty(await admin.CountPendingAsync(default));

        Assert.Equal(2, await admin.ReplayAsync(new ChangeNotifications.Admin.InboxQuery { SubscriptionIds = [Subscription] }, default));
        Assert.Equal(0, await admin.ReplayAsync(new ChangeNotifications.Admin.InboxQuery { SubscriptionIds = [Subscription] }, default));
        Assert.Equal(2, (await admin.CountPendingAsync(default))[Subscription]);
        var replayed = await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        Assert.Equal(["a1", "a2"], replayed.Select(i => i.DedupKey).Order());
        Assert.All(replayed, i => Assert.Equal(1, i.Attempts));
        await inbox.CompleteAsync(replayed.Select(i => i.Id).ToList(), default);
        Assert.Empty(await inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Equal(["b1"], (await inbox.ListDeadLettersAsync(10, default)).Select(i => i.DedupKey));
    }
}
