using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Admin;

/// <summary>The read side of the admin API: stored subscriptions and inbox items, joined by Graph's subscription id.</summary>
internal sealed class AdminQueries(ISubscriptionStore store, IInboxAdministration inbox, IOptions<AdminOptions> options, TimeProvider time)
{
    public int PageSize => options.Value.MaxPageSize;

    public async Task<IReadOnlyList<SubscriptionStatus>> SubscriptionsAsync(CancellationToken ct)
    {
        var records = await store.ListAsync(ct);
        var pending = await inbox.CountPendingAsync(ct);
        var now = time.GetUtcNow();
        return records
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => SubscriptionStatus.From(r, GraphIdsOf(r).Sum(id => pending.GetValueOrDefault(id)), now))
            .ToList();
    }

    /// <summary>One page: asks for one item more than it returns, to know whether another page follows.</summary>
    public async Task<Page<NotificationSummary>> NotificationsAsync(InboxQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var items = await inbox.ListAsync(query with { Limit = query.Limit + 1 }, ct);
        var bySubscription = BySubscriptionId(await store.ListAsync(ct));
        var page = items.Take(query.Limit)
            .Select(i => NotificationSummary.From(i, bySubscription.GetValueOrDefault(i.SubscriptionId)))
            .ToList();
        return new Page<NotificationSummary>(page, items.Count > query.Limit ? page[^1].Id : null);
    }

    /// <summary>Graph's ids (current, and the one a recreation replaces) of the stored subscriptions of <paramref name="type"/>.</summary>
    public async Task<IReadOnlyCollection<Guid>> SubscriptionIdsOfAsync(ResourceType type, CancellationToken ct) =>
        (await store.ListAsync(ct))
            .Where(r => ResourceTypeResolver.Resolve(r.Resource) == type)
            .SelectMany(GraphIdsOf)
            .ToHashSet();

    private static Dictionary<Guid, SubscriptionRecord> BySubscriptionId(IEnumerable<SubscriptionRecord> records)
    {
        var map = new Dictionary<Guid, SubscriptionRecord>();
        foreach (var record in records)
        {
            foreach (var id in GraphIdsOf(record))
            {
                map[id] = record;
            }
        }

        return map;
    }

    private static IEnumerable<Guid> GraphIdsOf(SubscriptionRecord record)
    {
        if (record.GraphId is { } id)
        {
            yield return id;
        }

        if (record.RecreatingGraphId is { } old && old != record.GraphId)
        {
            yield return old;
        }
    }
}
