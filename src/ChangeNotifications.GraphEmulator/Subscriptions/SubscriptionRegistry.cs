using ChangeNotifications.GraphEmulator.Hosting;

namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>The subscriptions the emulator holds. Expired ones are gone, as in Graph (404, not listed, not notified).</summary>
internal sealed class SubscriptionRegistry(GraphEmulatorOptions options)
{
    private readonly Lock _gate = new();
    private readonly List<EmulatedSubscription> _subscriptions = [];
    private long _revision;

    /// <summary>Raised after a subscription was added, changed or deleted (not when one expires), outside the registry's lock.</summary>
    public event Action? Changed;

    /// <summary>Grows with every change, expiries included: a saver compares it to know whether to save.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    /// <summary>Every subscription, expired ones included, and the revision they are at: what a saved state holds.</summary>
    public (IReadOnlyList<EmulatedSubscription> Subscriptions, long Revision) Snapshot()
    {
        lock (_gate)
        {
            return ([.. _subscriptions], Revision);
        }
    }

    /// <summary>Replaces every subscription with those of a saved state (expired ones go at the next read).</summary>
    public void Restore(IEnumerable<EmulatedSubscription> subscriptions)
    {
        lock (_gate)
        {
            _subscriptions.Clear();
            _subscriptions.AddRange(subscriptions);
            Interlocked.Increment(ref _revision);
        }
    }

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
            Interlocked.Increment(ref _revision);
        }

        Changed?.Invoke();
        return null;
    }

    /// <summary>Applies <paramref name="change"/> to the subscription if it still exists; returns the new state.</summary>
    public EmulatedSubscription? Update(Guid id, Func<EmulatedSubscription, EmulatedSubscription> change)
    {
        EmulatedSubscription updated;
        lock (_gate)
        {
            RemoveExpired();
            var index = _subscriptions.FindIndex(s => s.Id == id);
            if (index < 0)
            {
                return null;
            }

            updated = _subscriptions[index] = change(_subscriptions[index]);
            Interlocked.Increment(ref _revision);
        }

        Changed?.Invoke();
        return updated;
    }

    public bool Remove(Guid id)
    {
        lock (_gate)
        {
            if (_subscriptions.RemoveAll(s => s.Id == id) == 0)
            {
                return false;
            }

            Interlocked.Increment(ref _revision);
        }

        Changed?.Invoke();
        return true;
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
        if (_subscriptions.RemoveAll(s => s.ExpirationDateTime <= now) > 0)
        {
            Interlocked.Increment(ref _revision);
        }
    }
}
