using System.Text;
using ChangeNotifications.Notifications;

namespace ChangeNotifications.Inbox;

/// <summary>
/// The durable work queue between intake and dispatcher: the source of truth for every notification
/// answered 202. At-least-once, idempotent by <see cref="InboxEntry.DedupKey"/>: a redelivered item is stored like any
/// other (the append, on the acknowledgement's path, looks nothing up) and recognised when it is claimed. SQLite is the
/// embedded implementation; a PostgreSQL one can follow behind the same interface.
/// </summary>
internal interface IInbox
{
    /// <summary>
    /// Appends a batch in one durable write (shared with concurrent callers): when the task completes, every
    /// entry is on disk. All or nothing: on failure nothing of the batch is stored. How the entries are laid out is the
    /// store's own (SQLite keeps a request's changes in one row until a claim splits them). It copies what it keeps of
    /// the entries before it returns the task: the caller may reuse their payloads' memory from then on. When
    /// <paramref name="cancellationToken"/> fires before the store has begun writing the batch, nothing of it is stored;
    /// once the write has begun, the task is cancelled all the same but the batch may still be stored.
    /// </summary>
    Task AppendAsync(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="max"/> ready items (due, or whose lease ran out), for <paramref name="lease"/>. An
    /// item whose dedup key an earlier item already holds (Graph delivered it again) is not returned: it is marked done,
    /// with the original's id as its last error, in the same write. The first item claimed with a key holds it until
    /// <see cref="PurgeCompletedAsync"/> lets it go; claiming it again (a retry, a replay, a lease that ran out) returns it.
    /// Empty only when nothing is ready: a claim that took nothing but redeliveries claims again. Items a stopped process
    /// had claimed come back when their lease runs out; a store only one process uses may give them back at its first claim.
    /// </summary>
    Task<IReadOnlyList<InboxItem>> ClaimAsync(int max, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the items done, together (the dispatcher completes a round at once, after handling it): when the task
    /// completes, all are durably done; on failure none need be, and they are handled again (at-least-once).
    /// </summary>
    Task CompleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);

    /// <summary>Gives the item back, not to be claimed before <paramref name="notBefore"/>.</summary>
    Task RetryLaterAsync(long id, DateTimeOffset notBefore, string error, CancellationToken cancellationToken);

    Task DeadLetterAsync(long id, string reason, CancellationToken cancellationToken);

    /// <summary>Makes dead-lettered items ready again (all, or those of one subscription). Returns how many.</summary>
    Task<int> ReplayDeadLettersAsync(Guid? subscriptionId, CancellationToken cancellationToken);

    /// <summary>Removes finished items, and the dedup keys claimed, older than <paramref name="olderThan"/> (in chunks: the
    /// acknowledgements' writes are not held up for the whole purge).</summary>
    Task<int> PurgeCompletedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken);

    /// <summary>Items by status; ready counts the items of batches not split yet.</summary>
    Task<InboxCounts> CountAsync(CancellationToken cancellationToken);

    /// <summary>Dead-lettered items, newest first (for operators and tests).</summary>
    Task<IReadOnlyList<InboxItem>> ListDeadLettersAsync(int max, CancellationToken cancellationToken);
}

internal enum InboxItemKind
{
    Change = 0,
    Lifecycle = 1,
}

internal enum InboxItemStatus
{
    Ready = 0,
    Claimed = 1,
    Done = 2,
    Dead = 3,
}

/// <summary>One notification item to store: its raw JSON as received (UTF-8) and the batch's validation tokens (rich
/// notifications).</summary>
/// <param name="DedupKey">Null: the inbox computes it from the payload (<see cref="StoredNotification.DedupKey"/>) when the
/// item is first claimed, and keeps it. Intake leaves every key to the inbox: off the acknowledgement's path.</param>
internal sealed record InboxEntry(
    string? DedupKey,
    InboxItemKind Kind,
    Guid SubscriptionId,
    ReadOnlyMemory<byte> Payload,
    string? ValidationTokens)
{
    public InboxEntry(string? dedupKey, InboxItemKind kind, Guid subscriptionId, string payload, string? validationTokens)
        : this(dedupKey, kind, subscriptionId, Encoding.UTF8.GetBytes(payload), validationTokens)
    {
    }
}

/// <param name="Id">Unique among stored items and increasing in arrival order (the claim order); an id may be given
/// again only after every newer item was purged, so it names an item in logs, not forever.</param>
internal sealed record InboxItem(
    long Id,
    string DedupKey,
    InboxItemKind Kind,
    Guid SubscriptionId,
    string Payload,
    string? ValidationTokens,
    int Attempts,
    DateTimeOffset ReceivedAt,
    InboxItemStatus Status,
    string? LastError)
{
    private StoredNotification? _parsed;

    /// <summary>
    /// The payload parsed, once per claim: by the claim itself when it computes the item's dedup key from it, else on
    /// first use (the dispatcher's). The dedup key, the processor and the handler all read this one value.
    /// </summary>
    internal StoredNotification Parsed
    {
        get => LazyInitializer.EnsureInitialized(ref _parsed, () => StoredNotification.Parse(SubscriptionId, Kind == InboxItemKind.Change, Payload));
        init => _parsed = value;
    }
}

internal sealed record InboxCounts(long Ready, long Claimed, long Done, long Dead)
{
    public long Total => Ready + Claimed + Done + Dead;
}

/// <summary>Thrown by an inbox that cannot take a write now (disk, lock, timeout): intake answers 503.</summary>
internal sealed class InboxUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
