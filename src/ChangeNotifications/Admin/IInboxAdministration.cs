using ChangeNotifications.Inbox;

namespace ChangeNotifications.Admin;

/// <summary>
/// The inbox as operators see it: items listed and dead letters replayed by filter. Plain queries on the stored items
/// (id, status, subscription, arrival time), so any store implements them alike. Items a store keeps grouped until
/// the dispatcher claims them (SQLite's batch rows) are not listed before that claim.
/// </summary>
internal interface IInboxAdministration
{
    /// <summary>Items matching <paramref name="query"/>, newest first (by id), at most <see cref="InboxQuery.Limit"/>.</summary>
    Task<IReadOnlyList<InboxItem>> ListAsync(InboxQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the dead-lettered items matching <paramref name="filter"/> ready again, due now, with their attempts reset
    /// (its <see cref="InboxQuery.Status"/>, <see cref="InboxQuery.BeforeId"/> and <see cref="InboxQuery.Limit"/> are
    /// not used). A replayed item keeps its dedup key, so it is handled once more, not taken for a redelivery. Returns
    /// how many.
    /// </summary>
    Task<int> ReplayAsync(InboxQuery filter, CancellationToken cancellationToken);

    /// <summary>Ready and claimed items per subscription id (Graph's): the work still to do.</summary>
    Task<IReadOnlyDictionary<Guid, long>> CountPendingAsync(CancellationToken cancellationToken);
}

/// <summary>A filter on stored items; every criterion left null matches all.</summary>
internal sealed record InboxQuery
{
    /// <summary>These items only.</summary>
    public IReadOnlyCollection<long>? Ids { get; init; }

    /// <summary>Items of these subscriptions only (Graph's ids); an empty collection matches nothing.</summary>
    public IReadOnlyCollection<Guid>? SubscriptionIds { get; init; }

    public InboxItemStatus? Status { get; init; }

    /// <summary>Received at or after this moment.</summary>
    public DateTimeOffset? ReceivedFrom { get; init; }

    /// <summary>Received before this moment.</summary>
    public DateTimeOffset? ReceivedBefore { get; init; }

    /// <summary>Paging: items with a smaller id than this (the last id of the previous page).</summary>
    public long? BeforeId { get; init; }

    public int Limit { get; init; } = 50;
}
