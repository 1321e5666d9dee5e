using System.Collections.Concurrent;
using ChangeNotifications.Inbox;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// The items of one dispatcher round that were handled, collected while the round runs in parallel: the round marks
/// them done in one inbox write and records each subscription's last notification time once.
/// </summary>
internal sealed class HandledItems
{
    private readonly ConcurrentQueue<long> _ids = new();
    private readonly ConcurrentDictionary<Guid, byte> _notified = new();

    public void Add(InboxItem item)
    {
        _ids.Enqueue(item.Id);
        if (item.Kind == InboxItemKind.Change)
        {
            _notified.TryAdd(item.SubscriptionId, 0);
        }
    }

    public IReadOnlyCollection<long> Ids => _ids.ToArray();

    /// <summary>Subscriptions that had a change notification handled.</summary>
    public ICollection<Guid> Notified => _notified.Keys;
}
