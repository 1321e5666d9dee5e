using Microsoft.Graph.Models;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// One reconcile's picture of <c>GET /subscriptions</c>: which of them are ours (our notificationUrl), which
/// are already accounted for, which could be adopted. <see cref="Known"/> is false when the list failed.
/// </summary>
internal sealed class GraphSubscriptionsView
{
    private readonly Dictionary<Guid, Subscription> _byId = [];
    private readonly HashSet<Guid> _claimed = [];
    private readonly string _notificationUrl;

    public GraphSubscriptionsView(IReadOnlyList<Subscription>? subscriptions, string notificationUrl)
    {
        _notificationUrl = notificationUrl;
        Known = subscriptions is not null;
        foreach (var subscription in subscriptions ?? [])
        {
            if (Guid.TryParse(subscription.Id, out var id))
            {
                _byId[id] = subscription;
            }
        }
    }

    public bool Known { get; }

    public Subscription? Find(Guid id) => _byId.GetValueOrDefault(id);

    public void Claim(Guid id) => _claimed.Add(id);

    /// <summary>Ours (same notificationUrl), unclaimed, not expired, same resource and change types.</summary>
    public (Guid Id, Subscription Subscription)? FindAdoptable(DesiredSubscription desired, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(desired);
        foreach (var (id, subscription) in _byId)
        {
            if (!_claimed.Contains(id) && IsOurs(subscription) && subscription.ExpirationDateTime > now &&
                desired.Matches(subscription.Resource, subscription.ChangeType))
            {
                return (id, subscription);
            }
        }

        return null;
    }

    /// <summary>Subscriptions of ours that no desired one or stored record accounts for.</summary>
    public IEnumerable<(Guid Id, Subscription Subscription)> UnclaimedOurs() =>
        _byId.Where(p => !_claimed.Contains(p.Key) && IsOurs(p.Value)).Select(p => (p.Key, p.Value));

    public bool IsOurs(Subscription subscription) =>
        subscription.NotificationUrl is { } url &&
        string.Equals(url.TrimEnd('/'), _notificationUrl.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
