namespace ChangeNotifications.Subscriptions;

/// <summary>How a pending reauthorization is answered.</summary>
internal enum ReauthorizeChoice
{
    /// <summary>A renewal or reauthorize happened within Graph's separation: doing it again now breaks Graph's rule.</summary>
    AlreadyDone = 0,

    /// <summary>Renewal is due within the next interval anyway: a PATCH reauthorizes too.</summary>
    RenewInstead = 1,

    /// <summary>POST reauthorize.</summary>
    Reauthorize = 2,
}

/// <summary>
/// Decides what each subscription needs: desired (configuration) × stored × Graph (<c>GET /subscriptions</c>) → actions,
/// in the order a pass carries them out. Pure: no HTTP, no store, no clock (the time is passed in). It marks on the
/// view the Graph subscriptions it accounts for, so one is never both adopted and deleted.
/// </summary>
internal sealed class SubscriptionPlanner(SubscriptionsOptions options)
{
    /// <summary>Graph: never a reauthorize and a PATCH within 10 minutes of each other.</summary>
    public static readonly TimeSpan ReauthorizeRenewSeparation = TimeSpan.FromMinutes(10);

    public IReadOnlyList<ReconcileAction> Plan(
        IReadOnlyCollection<DesiredSubscription> desired,
        IReadOnlyCollection<SubscriptionRecord> stored,
        GraphSubscriptionsView view,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(view);
        var desiredKeys = desired.Select(d => d.Key).ToHashSet(StringComparer.Ordinal);
        var byKey = stored.ToDictionary(r => r.Key, StringComparer.Ordinal);
        foreach (var record in stored)
        {
            if (record.GraphId is { } id && desiredKeys.Contains(record.Key))
            {
                view.Claim(id);
            }
        }

        var actions = new List<ReconcileAction>();
        foreach (var one in desired)
        {
            byKey.TryGetValue(one.Key, out var record);
            if (record?.NextAttemptAt is { } until && until > now)
            {
                actions.Add(new WaitAction(one, record, until));
                continue;
            }

            PlanOne(one, record, view, now, actions);
        }

        foreach (var record in stored.Where(r => !desiredKeys.Contains(r.Key)).OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (record.GraphId is { } id)
            {
                view.Claim(id);
            }

            actions.Add(new DeleteAction(record));
        }

        if (view.Known)
        {
            // A desired one waiting out a backoff will adopt a matching one later.
            actions.AddRange(view.UnclaimedOurs()
                .Where(p => !desired.Any(d => d.Matches(p.Subscription.Resource, p.Subscription.ChangeType)))
                .Select(p => new DeleteStrayAction(p.Id, p.Subscription)));
        }

        return actions;
    }

    /// <summary>
    /// For a subscription that exists: renew when due or asked for (<see cref="SubscriptionRecord.RenewRequested"/>),
    /// unless a reauthorize happened too recently; else keep it.
    /// </summary>
    public ReconcileAction RenewalStep(DesiredSubscription desired, SubscriptionRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var due = record.RenewRequested ? now : RenewalDue(desired, record);
        if (now < due)
        {
            return new KeepAction(desired, record);
        }

        if (record.LastReauthorizedAt is { } reauthorizedAt && now - reauthorizedAt < ReauthorizeRenewSeparation)
        {
            return new DeferRenewalAction(desired, record, reauthorizedAt + ReauthorizeRenewSeparation, due);
        }

        return new RenewAction(desired, record);
    }

    /// <summary>How to answer a pending reauthorization now, and the last renewal or reauthorize it is measured against.</summary>
    public (ReauthorizeChoice Choice, DateTimeOffset? LastAt) ReauthorizeStep(DesiredSubscription desired, SubscriptionRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var last = Max(record.LastRenewedAt, record.LastReauthorizedAt);
        if (last is { } lastAt && now - lastAt < ReauthorizeRenewSeparation)
        {
            return (ReauthorizeChoice.AlreadyDone, lastAt);
        }

        return now + options.ReconcileInterval >= RenewalDue(desired, record)
            ? (ReauthorizeChoice.RenewInstead, last)
            : (ReauthorizeChoice.Reauthorize, last);
    }

    /// <summary>The expiration asked of Graph: the configured lifetime, never past the resource's maximum (less a safety margin).</summary>
    public DateTimeOffset ExpirationFor(DesiredSubscription desired, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var ceiling = desired.MaxLifetime - options.ExpirationSafetyMargin;
        return now + (desired.Lifetime < ceiling ? desired.Lifetime : ceiling);
    }

    /// <summary>
    /// When to renew: once <see cref="SubscriptionsOptions.RenewAtFraction"/> of the lifetime has passed, shifted by a
    /// per-subscription jitter (stable for one expiry) so renewals of many subscriptions spread out.
    /// </summary>
    public DateTimeOffset RenewalDue(DesiredSubscription desired, SubscriptionRecord record)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(record);
        if (record.ExpiresAt is not { } expiresAt)
        {
            return DateTimeOffset.MinValue;
        }

        var lifetime = desired.Lifetime;
        var jitter = lifetime * (options.RenewJitterFraction * StableUnit(record.Key, expiresAt));
        return expiresAt - (lifetime * (1 - options.RenewAtFraction)) + jitter;
    }

    private void PlanOne(DesiredSubscription desired, SubscriptionRecord? record, GraphSubscriptionsView view, DateTimeOffset now, List<ReconcileAction> actions)
    {
        if (record?.GraphId is { } id)
        {
            if (record.RecreateReason is { } requested && record.RecreatingGraphId == id)
            {
                // Another instance heard that Graph removed it and left the recreation to this one.
                actions.Add(new RecreateAction(desired, record, requested));
                return;
            }

            if (view.Known)
            {
                var inGraph = view.Find(id);
                if (inGraph is null)
                {
                    actions.Add(new RecreateAction(desired, record, "it is no longer in Graph"));
                    return;
                }

                if (inGraph.ExpirationDateTime is { } graphExpiry && graphExpiry <= now)
                {
                    actions.Add(new RecreateAction(desired, record, "it was found expired"));
                    return;
                }

                if (inGraph.ExpirationDateTime is { } expiry && expiry != record.ExpiresAt)
                {
                    record = record with { ExpiresAt = expiry };
                    actions.Add(new UpdateExpiryAction(record));
                }
            }
            else if (record.ExpiresAt is { } storedExpiry && storedExpiry <= now)
            {
                actions.Add(new RecreateAction(desired, record, "it was found expired"));
                return;
            }

            actions.Add(record.ReauthorizationPending ? new ReauthorizeAction(desired, record) : RenewalStep(desired, record, now));
            return;
        }

        if (view.FindAdoptable(desired, now) is { } candidate)
        {
            view.Claim(candidate.Id);

            // Graph never returns clientState: a subscription we have no record of would fail every clientState check.
            actions.Add(record is not null
                ? new AdoptAction(desired, record, candidate.Id, candidate.Subscription)
                : new ReplaceOrphanAction(desired, candidate.Id));
            return;
        }

        actions.Add(new CreateAction(desired, record));
    }

    /// <summary>A number in [-1, 1] fixed by the key and expiry (FNV-1a), so one subscription's renewal point does not wander.</summary>
    private static double StableUnit(string key, DateTimeOffset expiresAt)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ (ulong)expiresAt.UtcTicks) * 1099511628211UL;
        return (hash % 20_001) / 10_000.0 - 1;
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
