using ChangeNotifications.GraphEmulator.Hosting;

namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>The subscriptions the emulator holds. Expired ones are gone, as in Graph (404, not listed, not notified).</summary>
internal sealed class SubscriptionRegistry(GraphEmulatorOptions options)
{
    private readonly Lock _gate = new();
    private readonly List<EmulatedSubscription> _subscriptions = [];

    public IReadOnlyList<EmulatedSubscription> List()
    {
        lock (_gate)
        {
            RemoveExpired();
            return [.. _subscriptions];
        }
    }

    public EmulatedSubscription? Find(Guid id)
    {
        lock (_gate)
        {
            RemoveExpired();
            return _subscriptions.Find(s => s.Id == id);
        }
    }

    /// <summary>The live subscription with the same resource and change types, if any (Graph answers 409).</summary>
    public EmulatedSubscription? FindDuplicate(string resource, IReadOnlySet<string> changeTypes)
    {
        lock (_gate)
        {
            RemoveExpired();
            return FindDuplicateLocked(resource, changeTypes);
        }
    }

    /// <summary>Adds <paramref name="subscription"/> unless a duplicate appeared meanwhile, which is returned instead.</summary>
    public EmulatedSubscription? TryAdd(EmulatedSubscription subscription)
    {
        lock (_gate)
        {
            RemoveExpired();
            var duplicate = FindDuplicateLocked(subscription.Resource, subscription.ChangeTypes);
            if (duplicate is not null)
            {
                return duplicate;
            }

            _subscriptions.Add(subscription);
            return null;
        }
    }

    /// <summary>Applies <paramref name="change"/> to the subscription if it still exists; returns the new state.</summary>
    public EmulatedSubscription? Update(Guid id, Func<EmulatedSubscription, EmulatedSubscription> change)
    {
        lock (_gate)
        {
            RemoveExpired();
            var index = _subscriptions.FindIndex(s => s.Id == id);
            if (index < 0)
            {
                return null;
            }

            _subscriptions[index] = change(_subscriptions[index]);
            return _subscriptions[index];
        }
    }

    public bool Remove(Guid id)
    {
        lock (_gate)
        {
            return _subscriptions.RemoveAll(s => s.Id == id) > 0;
        }
    }

    private EmulatedSubscription? FindDuplicateLocked(string resource, IReadOnlySet<string> changeTypes)
    {
        var normalized = ResourceRules.Normalize(resource);
        return _subscriptions.Find(s =>
            string.Equals(ResourceRules.Normalize(s.Resource), normalized, StringComparison.OrdinalIgnoreCase)
            && s.ChangeTypes.SetEquals(changeTypes));
    }

    private void RemoveExpired()
    {
        var now = options.TimeProvider.GetUtcNow();
        _subscriptions.RemoveAll(s => s.ExpirationDateTime <= now);
    }
}
